package scheduler

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// buildJob is one timeline to build, of sched from instant from (see
// build), and its outcome.
type buildJob struct {
	sched *engine.Schedule
	from  time.Time
	short bool // to shortWindow only
	tl    *timeline
	err   error
}

// buildBatch is how many jobs a worker takes at a time.
const buildBatch = 64

// buildAll builds the jobs' timelines, without the lock, on up to
// GOMAXPROCS goroutines: 100,000 week-long timelines take a second on one
// core. A panic of the engine is contained to its job (safeBuild).
func (s *Scheduler) buildAll(jobs []*buildJob) {
	run := func(j *buildJob) { j.tl, j.err = s.safeBuild(j.sched, j.from, j.short) }
	workers := min(runtime.GOMAXPROCS(0), (len(jobs)+buildBatch-1)/buildBatch)
	if workers <= 1 {
		for _, j := range jobs {
			run(j)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				k := int(next.Add(buildBatch)) - buildBatch
				if k >= len(jobs) {
					return
				}
				for _, j := range jobs[k:min(k+buildBatch, len(jobs))] {
					run(j)
				}
			}
		})
	}
	wg.Wait()
}
