package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/schedule-manager/schedule-manager/client"
	"github.com/schedule-manager/schedule-manager/event"
)

func ExampleClient_Check() {
	c, err := client.New("http://127.0.0.1:8080", client.WithTimeout(5*time.Second), client.WithRetries(3, 200*time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	r, err := c.Check(ctx, "Support")
	if errors.Is(err, client.ErrNotFound) {
		log.Fatal("no schedule called Support")
	} else if err != nil {
		log.Fatal(err)
	}
	if r.IsOpen {
		fmt.Println("open")
	} else {
		fmt.Println("closed:", r.ClosedReason) // "holiday", "closed", "lunch", "manual", ...
	}
	if n := r.NextTransition; n != nil {
		fmt.Println("changes at", n.At.Format(time.RFC1123))
	}
}

// A read-modify-write of the config that reloads on a conflict.
func ExampleClient_PutConfig() {
	c, _ := client.New("http://127.0.0.1:8080", client.WithToken(os.Getenv("SCHEDMGR_TOKEN")))
	ctx := context.Background()
	for {
		cfg, err := c.Config(ctx)
		if err != nil {
			log.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(cfg.Data, &doc); err != nil {
			log.Fatal(err)
		}
		// ... edit doc ...
		data, _ := json.MarshalIndent(doc, "", "  ")
		v, err := c.PutConfig(ctx, data, cfg.Version, "holidays 2027")
		var apiErr *client.Error
		switch {
		case err == nil:
			fmt.Println("wrote version", v)
			return
		case errors.Is(err, client.ErrConflict):
			continue // someone else wrote first: reload and edit again
		case errors.Is(err, client.ErrBadRequest) && errors.As(err, &apiErr):
			for _, f := range apiErr.Fields {
				fmt.Println(f.Path+":", f.Message) // rules[3].endTime: "25:00" is not a time (HH:MM)
			}
			return
		default:
			log.Fatal(err)
		}
	}
}

func ExampleClient_SubscribeSSE() {
	c, _ := client.New("http://127.0.0.1:8080", client.WithToken(os.Getenv("SCHEDMGR_TOKEN")))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, errc := c.SubscribeSSE(ctx, client.SSEOptions{Schedule: "Support"})
	for ev := range events {
		fmt.Printf("%s %s open=%v reason=%q (resume after %s)\n",
			ev.Time.Format(time.RFC3339), ev.Data.Schedule, ev.Data.IsOpen, ev.Data.ClosedReason, ev.LastEventID())
	}
	if err := <-errc; err != nil {
		log.Fatal(err) // 401, 403, 404: reconnecting would not help
	}
}

func ExampleSubscribeNATS() {
	// The events reader's URL, user and password included:
	// SCHEDMGR_NATS_URL="$(schedule-manager nats-url --role reader)".
	nc, err := nats.Connect(os.Getenv("SCHEDMGR_NATS_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	// Every close of two schedules, from the oldest event the stream keeps.
	events, errc := client.SubscribeNATS(context.Background(), nc, client.NATSFilter{
		Schedules:   []string{"Support", "London Sales"},
		Kinds:       []string{event.KindClosed},
		LastEventID: "0",
	})
	for ev := range events {
		fmt.Println(ev.Sequence, ev.NATSSubject(), ev.Data.ClosedReason)
	}
	if err := <-errc; err != nil {
		log.Fatal(err)
	}
}
