package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// listDeadLetters serves one endpoint's dead letters, or everyone's on
// /api/v1/deadletters. ?after=<seq>&limit=<n> pages through them.
func (d *Dispatcher) listDeadLetters(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id != "" {
		if _, err := d.endpoint(id); err != nil {
			writeError(w, http.StatusNotFound, notFoundMessage(id))
			return
		}
	}
	q := r.URL.Query()
	after, err := parseUint(q.Get("after"), 0)
	if err != nil {
		writeError(w, http.StatusBadRequest, "after: want the seq of the last dead letter seen (a number)")
		return
	}
	limit, err := parseUint(q.Get("limit"), defaultListLimit)
	if err != nil || limit < 1 || limit > maxListLimit {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("limit: want 1 to %d", maxListLimit))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	list, more, err := d.dead.list(ctx, id, after, int(limit))
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	if list == nil {
		list = []DeadLetter{}
	}
	out := map[string]any{"deadLetters": list}
	if more {
		out["next"] = fmt.Sprintf("?after=%d&limit=%d", list[len(list)-1].Seq, limit)
	}
	writeJSON(w, http.StatusOK, out)
}

// redeliverResult is the answer to a redelivery.
type redeliverResult struct {
	Seq       uint64 `json:"seq"`
	EventID   string `json:"eventId"`
	Delivered bool   `json:"delivered"`
	Status    int    `json:"status,omitempty"`
	Error     string `json:"error,omitempty"`
}

// redeliver POSTs one dead letter to its endpoint's current URL, once, with
// a fresh signature. On success the dead letter is removed.
func (d *Dispatcher) redeliver(ctx context.Context, e Endpoint, dl DeadLetter) redeliverResult {
	out := redeliverResult{Seq: dl.Seq, EventID: dl.EventID}
	key, err := ParseSecret(e.Secret)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	res := d.sender.send(ctx, e.URL, key, dl.EventID, dl.data)
	d.metrics.observe(e.ID, res)
	out.Status = res.Status
	if !res.ok() {
		d.metrics.redeliveries.WithLabelValues(e.ID, "failed").Inc()
		out.Error = res.Err.Error()
		return out
	}
	d.metrics.redeliveries.WithLabelValues(e.ID, OutcomeOK).Inc()
	out.Delivered = true
	if err := d.dead.remove(context.WithoutCancel(ctx), dl.Seq); err != nil {
		d.log.Warn("webhook: redelivered but not removed from the dead letters", "endpoint", e.ID, "seq", dl.Seq, "err", err)
	}
	return out
}

func (d *Dispatcher) redeliverOne(w http.ResponseWriter, r *http.Request) {
	e, dl, ok := d.lookupDeadLetter(w, r)
	if !ok {
		return
	}
	res := d.redeliver(r.Context(), e, dl)
	d.log.Info("webhook: admin redelivery", "endpoint", e.ID, "event", dl.EventID, "delivered", res.Delivered, "by", d.opts.Caller(r))
	code := http.StatusOK
	if !res.Delivered {
		code = http.StatusBadGateway
	}
	writeJSON(w, code, res)
}

// redeliverAll redelivers an endpoint's dead letters oldest first and
// stops at the first failure, so the receiver sees them in order.
func (d *Dispatcher) redeliverAll(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, err := d.endpoint(id)
	if err != nil {
		writeError(w, http.StatusNotFound, notFoundMessage(id))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), redeliverAllLimit)
	defer cancel()
	results := []redeliverResult{}
	var after uint64
	remaining := false
	for ctx.Err() == nil {
		list, _, err := d.dead.list(ctx, id, after, 1)
		if err != nil || len(list) == 0 {
			break
		}
		res := d.redeliver(ctx, e, list[0])
		results = append(results, res)
		if !res.Delivered {
			remaining = true
			break
		}
		after = list[0].Seq
	}
	if ctx.Err() != nil {
		remaining = true
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "remaining": remaining})
}

func (d *Dispatcher) discardDeadLetter(w http.ResponseWriter, r *http.Request) {
	e, dl, ok := d.lookupDeadLetter(w, r)
	if !ok {
		return
	}
	if err := d.dead.remove(r.Context(), dl.Seq); err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	d.log.Info("webhook: dead letter discarded", "endpoint", e.ID, "event", dl.EventID, "by", d.opts.Caller(r))
	writeJSON(w, http.StatusOK, map[string]any{"discarded": dl.Seq})
}

// lookupDeadLetter resolves {id} and {seq}, answering the error itself.
func (d *Dispatcher) lookupDeadLetter(w http.ResponseWriter, r *http.Request) (Endpoint, DeadLetter, bool) {
	id := r.PathValue("id")
	e, err := d.endpoint(id)
	if err != nil {
		writeError(w, http.StatusNotFound, notFoundMessage(id))
		return Endpoint{}, DeadLetter{}, false
	}
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		writeError(w, http.StatusBadRequest, "seq: want the seq of a dead letter, as listed by GET /api/v1/webhooks/"+id+"/deadletters")
		return Endpoint{}, DeadLetter{}, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	dl, err := d.dead.get(ctx, id, seq)
	if errors.Is(err, ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("endpoint %q has no dead letter %d (redelivered or discarded already?)", id, seq))
		return Endpoint{}, DeadLetter{}, false
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return Endpoint{}, DeadLetter{}, false
	}
	return e, dl, true
}
