package stream

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
)

// Message is one stored event, as read back from the stream.
type Message struct {
	// Seq is the stream sequence: the SSE id and the resume point.
	Seq uint64
	// Type is event.TypeOpened or event.TypeClosed, from the subject.
	Type string
	// Data is the CloudEvent, JSON, byte for byte as stored.
	Data []byte
}

// FollowOptions say where a Follow starts and what it reads.
type FollowOptions struct {
	// Resume starts after the stream sequence After (0: every retained
	// event). Without Resume only events stored from now on are read.
	Resume bool
	After  uint64
	// Schedule limits the events to one schedule ("" reads all).
	Schedule string
}

// Reader reads the event stream back, for Server-Sent Events.
type Reader struct {
	js     jetstream.JetStream
	stream string
}

// NewReader returns a Reader of the stream named stream (""
// means event.StreamName).
func NewReader(js jetstream.JetStream, stream string) *Reader {
	if stream == "" {
		stream = event.StreamName
	}
	return &Reader{js: js, stream: stream}
}

// consumerTimeout bounds the creation of a reader's consumer.
const consumerTimeout = 10 * time.Second

// Follow reads the stream with its own ordered consumer, from the start
// o gives, and sends every event in stream order until ctx ends or the
// consumer fails; then it closes the channel. The error is for a consumer
// that cannot be created (the stream is missing, NATS is down).
func (r *Reader) Follow(ctx context.Context, o FollowOptions) (<-chan Message, error) {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy}
	if o.Resume {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = o.After + 1
	}
	if o.Schedule != "" {
		cfg.FilterSubjects = []string{event.ScheduleFilter(o.Schedule)}
	}
	cctx, cancel := context.WithTimeout(ctx, consumerTimeout)
	cons, err := r.js.OrderedConsumer(cctx, r.stream, cfg)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("event stream %s: create consumer: %w", r.stream, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, fmt.Errorf("event stream %s: consume: %w", r.stream, err)
	}
	out := make(chan Message, 64)
	go func() {
		<-ctx.Done()
		it.Stop() // ends Next below
	}()
	go func() {
		defer close(out)
		for {
			m, err := it.Next()
			if err != nil {
				return // stopped, or the consumer is gone
			}
			meta, err := m.Metadata()
			if err != nil {
				continue
			}
			typ := event.TypeClosed
			if event.KindOf(m.Subject()) == event.KindOpened {
				typ = event.TypeOpened
			}
			select {
			case out <- Message{Seq: meta.Sequence.Stream, Type: typ, Data: m.Data()}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
