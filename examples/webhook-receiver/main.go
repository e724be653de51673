// Command webhook-receiver is a minimal Schedule Manager webhook receiver:
// it verifies each delivery's Standard Webhooks signature, drops repeats
// of an event it already handled (delivery is at least once), and prints
// the event.
//
//	WEBHOOK_SECRET=whsec_… go run ./examples/webhook-receiver -addr 127.0.0.1:9000
//
// then create the endpoint (the secret is the one you chose, or the one the
// POST answers with when you omit it):
//
//	curl -H "Authorization: Bearer $TOKEN" -d '{"url":"http://127.0.0.1:9000/hook","secret":"'$WEBHOOK_SECRET'"}' \
//	     http://127.0.0.1:8080/api/v1/webhooks
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/schedule-manager/schedule-manager/event"
)

// maxBody bounds a delivery; events are a few hundred bytes.
const maxBody = 1 << 20

// seen remembers the ids of handled events, forgetting them after a day.
type seen struct {
	mu  sync.Mutex
	ids map[string]time.Time
}

// first reports whether id is new, and records it.
func (s *seen) first(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.ids {
		if now.Sub(t) > 24*time.Hour {
			delete(s.ids, k)
		}
	}
	if _, ok := s.ids[id]; ok {
		return false
	}
	s.ids[id] = now
	return true
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	flag.Parse()
	secret := os.Getenv("WEBHOOK_SECRET")
	if _, err := event.ParseSecret(secret); err != nil {
		log.Fatalf("WEBHOOK_SECRET: %v", err)
	}
	dedupe := &seen{ids: map[string]time.Time{}}

	http.HandleFunc("POST /hook", func(w http.ResponseWriter, r *http.Request) {
		// Verify the raw bytes: re-encoded JSON would not match.
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := event.Verify(secret, r.Header, body, time.Now(), event.DefaultTolerance); err != nil {
			log.Printf("rejected a delivery: %v", err)
			http.Error(w, "invalid signature", http.StatusUnauthorized) // 4xx: not retried
			return
		}
		var ev event.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, "not a CloudEvent", http.StatusBadRequest)
			return
		}
		if !dedupe.first(r.Header.Get(event.HeaderID), time.Now()) {
			w.WriteHeader(http.StatusNoContent) // a repeat: acknowledge, do nothing
			return
		}
		state := "open"
		if !ev.Data.IsOpen {
			state = "closed (" + ev.Data.ClosedReason + ")"
		}
		fmt.Printf("%s  %-20s %s  at %s  [%s, id %s]\n", time.Now().Format(time.TimeOnly), ev.Subject, state,
			ev.Time.Local().Format(time.RFC3339), ev.Data.Cause, ev.ID)
		w.WriteHeader(http.StatusNoContent) // any 2xx acknowledges; 5xx asks for a retry
	})
	log.Printf("listening on http://%s/hook", *addr)
	srv := &http.Server{Addr: *addr, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
