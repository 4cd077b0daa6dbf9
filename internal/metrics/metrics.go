// Package metrics exposes the service's Prometheus metrics and health
// endpoints. Labels are outcomes, rule ids, reasons, stages and code-set
// versions: never a claim's content.
package metrics

import (
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/screening"
)

// Metrics implements pipeline.Observer.
type Metrics struct {
	reg         *prometheus.Registry
	claims      *prometheus.CounterVec
	findings    *prometheus.CounterVec
	deadletters *prometheus.CounterVec
	faults      *prometheus.CounterVec
	batchSize   prometheus.Histogram
	batchTime   prometheus.Histogram
	readyGauge  prometheus.Gauge
	codesets    *prometheus.GaugeVec
	depGauge    *prometheus.GaugeVec
	ready       atomic.Bool
	mu          sync.Mutex
	down        map[string]bool // dependencies found unreachable
}

// New registers the metrics. lag, when not nil, is read for the consumer
// lag gauge.
func New(lag func() int64) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), down: map[string]bool{}}
	m.claims = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "claimscreen_claims_total", Help: "Claims decided, by outcome."}, []string{"outcome"})
	m.findings = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "claimscreen_findings_total", Help: "Findings on decided claims, by rule and severity."}, []string{"rule", "severity"})
	m.deadletters = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "claimscreen_deadletters_total", Help: "Messages dead-lettered, by reason."}, []string{"reason"})
	m.faults = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "claimscreen_faults_total", Help: "Failed attempts, retried, by stage (fetch, write, ledger, metadata, commit)."}, []string{"stage"})
	m.batchSize = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "claimscreen_batch_size", Help: "Messages a batch.", Buckets: prometheus.ExponentialBuckets(1, 2, 12)})
	m.batchTime = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "claimscreen_batch_seconds", Help: "Time to process a batch, fetch to commit.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)})
	m.readyGauge = prometheus.NewGauge(prometheus.GaugeOpts{Name: "claimscreen_ready", Help: "1 when the pipeline is flowing, 0 while a dependency fails."})
	m.codesets = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "claimscreen_codeset_release_info", Help: "Loaded code-set releases (value 1)."}, []string{"system", "version"})
	m.depGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "claimscreen_dependency_up", Help: "1 while a dependency (kafka, postgresql) answers its health check, 0 while it does not."}, []string{"dependency"})
	m.reg.MustRegister(m.claims, m.findings, m.deadletters, m.faults, m.batchSize, m.batchTime, m.readyGauge, m.codesets, m.depGauge,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if lag != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "claimscreen_consumer_lag", Help: "Messages behind the end of the input partitions, as last fetched."},
			func() float64 { return float64(lag()) }))
	}
	for _, o := range []string{"accepted", "rejected", "held"} {
		m.claims.WithLabelValues(o)
	}
	return m
}

// Releases records the loaded releases.
func (m *Metrics) Releases(rels []*codeset.Release) {
	m.codesets.Reset()
	for _, r := range rels {
		m.codesets.WithLabelValues(r.System, r.Version).Set(1)
	}
}

// Batch implements pipeline.Observer.
func (m *Metrics) Batch(size int, took time.Duration) {
	m.batchSize.Observe(float64(size))
	m.batchTime.Observe(took.Seconds())
}

// Decided implements pipeline.Observer.
func (m *Metrics) Decided(o screening.Outcome, d *screening.Decision) {
	m.claims.WithLabelValues(string(o)).Inc()
	for _, f := range d.Findings {
		m.findings.WithLabelValues(string(f.Rule), string(f.Severity)).Inc()
	}
}

// DeadLettered implements pipeline.Observer.
func (m *Metrics) DeadLettered(reason string) { m.deadletters.WithLabelValues(reason).Inc() }

// Fault implements pipeline.Observer.
func (m *Metrics) Fault(stage string) { m.faults.WithLabelValues(stage).Inc() }

// Ready implements pipeline.Observer: the pipeline's own view (its last
// batch went through, or a stage is failing and retried).
func (m *Metrics) Ready(ok bool) {
	m.ready.Store(ok)
	m.updateReady()
}

// Dependency records the last health check of a dependency ("kafka",
// "postgresql"). The service is ready only while every dependency answers.
func (m *Metrics) Dependency(name string, up bool) {
	m.mu.Lock()
	m.down[name] = !up
	m.mu.Unlock()
	if up {
		m.depGauge.WithLabelValues(name).Set(1)
	} else {
		m.depGauge.WithLabelValues(name).Set(0)
	}
	m.updateReady()
}

func (m *Metrics) updateReady() {
	if ok, _ := m.readiness(); ok {
		m.readyGauge.Set(1)
	} else {
		m.readyGauge.Set(0)
	}
}

// readiness is whether the service is ready and, when not, why.
func (m *Metrics) readiness() (bool, string) {
	m.mu.Lock()
	var down []string
	for name, d := range m.down {
		if d {
			down = append(down, name)
		}
	}
	m.mu.Unlock()
	if len(down) > 0 {
		sort.Strings(down)
		return false, "not ready: " + strings.Join(down, ", ") + " unreachable"
	}
	if !m.ready.Load() {
		return false, "not ready: the pipeline is retrying a failed stage"
	}
	return true, "ready"
}

// IsReady reports readiness.
func (m *Metrics) IsReady() bool { ok, _ := m.readiness(); return ok }

// Handler serves /metrics, /healthz and /readyz.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ok, why := m.readiness()
		if !ok {
			http.Error(w, why, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(why + "\n"))
	})
	return mux
}
