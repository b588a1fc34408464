package main

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/catalog"
)

// metrics are the Prometheus series /metrics serves. They live in their own
// registry, not the process-global default one.
type metrics struct {
	registry       *prometheus.Registry
	commands       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	entities       prometheus.Gauge
	problems       *prometheus.GaugeVec
	lastSync       prometheus.Gauge
	syncErrors     prometheus.Counter
	syncDuration   prometheus.Histogram
	requestsDenied *prometheus.CounterVec

	// observers caches the series of each platform, command and status:
	// looking them up by label values hashes the labels on every command.
	observers sync.Map // commandSeries → commandObservers
}

type commandSeries struct {
	platform, command string
	status            bot.Status
}

type commandObservers struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

var _ bot.Observer = (*metrics)(nil)

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callboard_commands_total", Help: "Chat commands handled, by platform, command and status.",
		}, []string{"platform", "command", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "callboard_command_duration_seconds", Help: "Time to answer a chat command.",
			Buckets: []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1, 3, 10},
		}, []string{"platform", "command"}),
		entities: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "callboard_catalog_entities", Help: "Entities in the served catalog snapshot.",
		}),
		problems: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "callboard_catalog_problems", Help: "Problems found in the catalog sources, by severity.",
		}, []string{"severity"}),
		lastSync: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "callboard_catalog_last_sync_timestamp_seconds", Help: "When the catalog sources were last synced successfully.",
		}),
		syncErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "callboard_catalog_sync_errors_total", Help: "Catalog syncs that failed.",
		}),
		syncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "callboard_catalog_sync_duration_seconds", Help: "Time a catalog sync took.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}),
		requestsDenied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callboard_webhook_rejected_total", Help: "Incoming webhook requests rejected before processing, by platform and reason.",
		}, []string{"platform", "reason"}),
	}
	m.registry.MustRegister(m.commands, m.latency, m.entities, m.problems, m.lastSync, m.syncErrors, m.syncDuration, m.requestsDenied,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveCommand records one routed input.
func (m *metrics) ObserveCommand(platform, command string, status bot.Status, elapsed time.Duration) {
	key := commandSeries{platform, command, status}
	v, ok := m.observers.Load(key)
	if !ok {
		// Commands are registered ones or "unknown", so the series are few.
		v, _ = m.observers.LoadOrStore(key, commandObservers{
			count:   m.commands.WithLabelValues(platform, command, status.String()),
			latency: m.latency.WithLabelValues(platform, command),
		})
	}
	o := v.(commandObservers)
	o.count.Inc()
	o.latency.Observe(elapsed.Seconds())
}

// Rejected records a webhook request refused before processing.
func (m *metrics) Rejected(platform, reason string) {
	m.requestsDenied.WithLabelValues(platform, reason).Inc()
}

func (m *metrics) observeSync(ix *catalog.Index, rep catalog.SyncReport, err error) {
	m.entities.Set(float64(ix.Len()))
	if err != nil {
		m.syncErrors.Inc()
		return
	}
	m.problems.WithLabelValues("error").Set(float64(rep.Errors))
	m.problems.WithLabelValues("warning").Set(float64(rep.Warnings))
	m.lastSync.SetToCurrentTime()
	m.syncDuration.Observe(rep.Took.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
