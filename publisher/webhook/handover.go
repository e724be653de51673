package webhook

import (
	"context"
	"maps"
	"slices"
	"time"
)

// heartbeat marks every held event in progress, all at the same moment:
// should this replica die, they all fall due together, AckWait later,
// before the pin moves (pinnedTTL), so the next replica receives every one
// of them before any newer event.
func (s *session) heartbeat() {
	for _, seq := range slices.Sorted(maps.Keys(s.bySeq)) {
		_ = s.bySeq[seq].msg.InProgress()
	}
}

// wait settles attempts until none is in flight, adding messages that
// arrive meanwhile; abort (when not nil) cancels the attempts.
func (s *session) wait(hb *time.Ticker, abort <-chan struct{}) {
	for s.inflight > 0 {
		select {
		case o := <-s.results:
			s.settle(o, time.Now())
		case f := <-s.incoming:
			if f.msg != nil {
				s.add(f.msg)
			}
		case <-hb.C:
			s.heartbeat()
		case <-abort:
			s.cancelAttempt()
			abort = nil
		}
	}
}

// pinLost hands everything back when another replica took the pin (a
// consumer leader change in a NATS cluster, or this replica was cut off
// from NATS for longer than the pin lasts).
func (s *session) pinLost(hb *time.Ticker) {
	if len(s.bySeq) == 0 {
		return
	}
	s.log.Warn("webhook: another replica now delivers to the endpoint; handing back the events held here", "held", len(s.bySeq))
	s.cancelAttempt()
	s.wait(hb, nil)
	s.release()
	s.attemptCtx, s.cancelAttempt = context.WithCancel(s.w.ctx)
	s.open, s.probing, s.consecutive, s.paused = false, false, 0, false
	clear(s.failedIn)
}

// shutdown lets the attempts in flight finish (until the worker is
// aborted), then hands every held event back and gives up the pin.
func (s *session) shutdown(hb *time.Ticker) {
	s.paused = true
	s.draining.Store(true)
	s.wait(hb, s.w.ctx.Done())
	close(s.fetchStop)
	for {
		select {
		case f := <-s.incoming:
			if f.msg != nil {
				s.add(f.msg)
			}
			continue
		case <-s.fetchDone:
		}
		break
	}
	s.release()
	s.unpin()
}

// release naks every held event, so whichever replica delivers next
// receives them before any newer event (in no particular order: its
// warm-up puts them back in stream order). The last nak waits for the
// server's reply: the server handles acks in order, so then all are
// handled, before unpin lets another replica pull.
func (s *session) release() {
	seqs := slices.Sorted(maps.Keys(s.bySeq))
	s.log.Debug("webhook: handing back", "seqs", seqs)
	for i, seq := range seqs {
		it := s.bySeq[seq]
		if i < len(seqs)-1 {
			_ = it.msg.Nak()
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if _, err := s.d.js.Conn().RequestWithContext(ctx, it.msg.Reply(), []byte("-NAK")); err != nil {
			s.log.Debug("webhook: hand back not confirmed", "err", err)
		}
		cancel()
	}
	s.held.Add(-int64(len(seqs)))
	clear(s.bySeq)
	clear(s.lanes)
	s.ready = nil
	s.waiting = nil
	s.inflight = 0
}

// unpin gives the pin up at once if this replica holds it, so another
// replica takes over without waiting for the pin to expire.
func (s *session) unpin() {
	if s.pinID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	info, err := s.cons.Info(ctx)
	if err != nil {
		return
	}
	for _, g := range info.PriorityGroups {
		if g.Group == priorityGroup && g.PinnedClientID == s.pinID {
			st, err := s.d.deliveryStream(ctx)
			if err == nil {
				err = st.UnpinConsumer(ctx, ConsumerName(s.w.ep.ID), priorityGroup)
			}
			if err != nil {
				s.log.Debug("webhook: unpin", "err", err)
			}
		}
	}
}
