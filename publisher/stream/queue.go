package stream

// itemQueue is the FIFO of events waiting to be published, kept in
// fixed-size chunks: 100,000 events queued at one instant while batches
// are taken from the front never copy the queue (a slice grown at the
// back and cut at the front did, each time it grew).
type itemQueue struct {
	chunks [][]item // each of capacity queueChunk; chunks[0] starts at head
	head   int
	n      int
}

const queueChunk = 1024

func (q *itemQueue) len() int { return q.n }

func (q *itemQueue) push(it item) {
	last := len(q.chunks) - 1
	if last < 0 || len(q.chunks[last]) == queueChunk {
		q.chunks = append(q.chunks, make([]item, 0, queueChunk))
		last++
	}
	q.chunks[last] = append(q.chunks[last], it)
	q.n++
}

// at returns the i-th item from the front.
func (q *itemQueue) at(i int) *item {
	i += q.head
	return &q.chunks[i/queueChunk][i%queueChunk]
}

// take removes the first n items and returns them.
func (q *itemQueue) take(n int) []item {
	out := make([]item, 0, n)
	for len(out) < n {
		c := q.chunks[0][q.head:]
		k := min(len(c), n-len(out))
		out = append(out, c[:k]...)
		clear(c[:k]) // no event kept alive by the chunk
		q.head += k
		q.n -= k
		if q.head == queueChunk || q.n == 0 && q.head == len(q.chunks[0]) {
			q.chunks[0] = nil
			q.chunks = q.chunks[1:]
			q.head = 0
		}
	}
	if q.n == 0 {
		q.chunks, q.head = nil, 0
	}
	return out
}

// drain removes every item and returns them.
func (q *itemQueue) drain() []item { return q.take(q.n) }
