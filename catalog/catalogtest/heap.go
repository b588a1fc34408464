package catalogtest

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// HeapSampler records the peak heap in use while a benchmark runs, for
// b.ReportMetric(float64(peak)/1e6, "peak-heap-MB"). Heap in use is what
// runtime.MemStats calls HeapInuse: spans holding objects, live or not yet
// swept, so with the default GOGC it runs up to about twice the live heap.
// It is read through runtime/metrics, which does not stop the world.
type HeapSampler struct {
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	peak    uint64
	samples []metrics.Sample
}

const (
	metricHeapObjects = "/memory/classes/heap/objects:bytes"
	metricHeapUnused  = "/memory/classes/heap/unused:bytes"
)

// StartHeapSampler collects garbage, so that an earlier iteration's heap
// does not count, then samples every interval until Stop.
func StartHeapSampler(every time.Duration) *HeapSampler {
	runtime.GC()
	h := &HeapSampler{
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		samples: []metrics.Sample{{Name: metricHeapObjects}, {Name: metricHeapUnused}},
	}
	h.sample()
	go func() {
		defer close(h.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				h.sample()
			}
		}
	}()
	return h
}

func (h *HeapSampler) sample() {
	h.mu.Lock()
	defer h.mu.Unlock()
	metrics.Read(h.samples)
	var inuse uint64
	for _, s := range h.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			inuse += s.Value.Uint64()
		}
	}
	h.peak = max(h.peak, inuse)
}

// Stop takes a last sample, ends sampling and returns the peak heap in use
// in bytes. It may be called once.
func (h *HeapSampler) Stop() uint64 {
	close(h.stop)
	<-h.done
	h.sample()
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peak
}

// LiveHeap collects garbage and returns the bytes of live heap objects: what
// the data the caller still references costs. It collects twice so that
// objects parked in sync.Pools (bbolt keeps a page pool) are not counted.
func LiveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: metricHeapObjects}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
