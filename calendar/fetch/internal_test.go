package fetch

import (
	"net/netip"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

func TestNextRefreshAligned(t *testing.T) {
	every, err := engine.CalendarRefreshSchedule("@every 6h")
	if err != nil {
		t.Fatal(err)
	}
	// Two replicas started at different moments compute the same instants.
	a := nextRefresh(every, time.Date(2027, 1, 1, 7, 13, 5, 0, time.UTC))
	b := nextRefresh(every, time.Date(2027, 1, 1, 11, 59, 59, 0, time.UTC))
	if want := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC); !a.Equal(want) || !b.Equal(want) {
		t.Errorf("nextRefresh = %v, %v; want %v", a, b, want)
	}
	daily, _ := engine.CalendarRefreshSchedule("30 5 * * *")
	if got := nextRefresh(daily, time.Date(2027, 1, 1, 7, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2027, 1, 2, 5, 30, 0, 0, time.UTC)) {
		t.Errorf("daily: %v", got)
	}
	if claimKey("closures", a) != claimKey("closures", b) || claimKey("closures", a) == claimKey("other", a) {
		t.Error("claim keys must name the calendar and the instant")
	}
}

func TestBlockedAddresses(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true, "169.254.169.254": true,
		"100.64.0.1": true, "0.0.0.0": true, "::1": true, "fc00::1": true, "fe80::1": true, "::ffff:127.0.0.1": true,
		"8.8.8.8": false, "2001:4860:4860::8888": false, "203.0.113.7": false,
	} {
		if got := blocked(netip.MustParseAddr(addr)); got != want {
			t.Errorf("blocked(%s) = %v, want %v", addr, got, want)
		}
	}
}
