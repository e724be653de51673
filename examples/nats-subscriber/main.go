// Command nats-subscriber prints Schedule Manager's transition events as
// they are stored, straight from NATS JetStream, with the events reader's
// credentials: it may read events and nothing else of the service.
//
//	go run ./examples/nats-subscriber -server "$(schedule-manager nats-url --role reader)" -schedule Support
//
// -since 0 starts from the oldest event the stream keeps; -since N resumes
// after the event of stream sequence N (the first column printed). Against
// a cluster set up as deploy/README.md describes, the URL is
// nats://schedmgr-reader:PASSWORD@nats-1:4222.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/schedule-manager/schedule-manager/client"
)

func main() {
	server := flag.String("server", os.Getenv("SCHEDMGR_NATS_URL"), "NATS URL with the reader's user and password (default $SCHEDMGR_NATS_URL)")
	schedules := flag.String("schedule", "", "comma-separated schedule names (default: every schedule)")
	kinds := flag.String("kind", "", "opened, closed or both (default: both)")
	since := flag.String("since", "", "stream sequence to resume after, 0 for everything kept (default: new events only)")
	flag.Parse()
	if *server == "" {
		log.Fatal("-server is required: schedule-manager nats-url --role reader prints it")
	}
	nc, err := nats.Connect(*server, nats.Name("nats-subscriber example"), nats.MaxReconnects(-1))
	if err != nil {
		// The URL holds a password: say where, not what.
		log.Fatalf("connect to NATS: %v", err)
	}
	defer nc.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	f := client.NATSFilter{LastEventID: *since}
	if *schedules != "" {
		f.Schedules = strings.Split(*schedules, ",")
	}
	if *kinds != "" {
		f.Kinds = strings.Split(*kinds, ",")
	}
	events, errc := client.SubscribeNATS(ctx, nc, f)
	for ev := range events {
		state := "open"
		if !ev.Data.IsOpen {
			state = "closed (" + ev.Data.ClosedReason + ")"
		}
		fmt.Printf("%d\t%s\t%s\t%s\t%s\n", ev.Sequence, ev.Time.Format("2006-01-02 15:04:05Z07:00"), ev.Data.Schedule, state, ev.Data.Cause)
	}
	if err := <-errc; err != nil {
		log.Fatal(err)
	}
}
