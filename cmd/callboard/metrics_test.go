package main

import (
	"testing"
	"time"

	"github.com/callboard/callboard/bot"
)

// ObserveCommand keeps the series it looked up; every observation must still
// land in the series of its own labels.
func TestMetrics_ObserveCommand(t *testing.T) {
	m := newMetrics()
	for range 3 {
		m.ObserveCommand("slack", "whoowns", bot.Answered, time.Millisecond)
	}
	m.ObserveCommand("slack", "whoowns", bot.Failed, time.Millisecond)
	m.ObserveCommand("discord", "whoowns", bot.Answered, time.Millisecond)

	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	latencies := map[string]uint64{}
	for _, f := range families {
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch f.GetName() {
			case "callboard_commands_total":
				counts[labels["platform"]+"/"+labels["command"]+"/"+labels["status"]] = s.GetCounter().GetValue()
			case "callboard_command_duration_seconds":
				latencies[labels["platform"]+"/"+labels["command"]] = s.GetHistogram().GetSampleCount()
			}
		}
	}
	wantCounts := map[string]float64{"slack/whoowns/answered": 3, "slack/whoowns/failed": 1, "discord/whoowns/answered": 1}
	for k, want := range wantCounts {
		if counts[k] != want {
			t.Errorf("callboard_commands_total{%s} = %v, want %v", k, counts[k], want)
		}
	}
	if len(counts) != len(wantCounts) {
		t.Errorf("command series = %v, want %v", counts, wantCounts)
	}
	if latencies["slack/whoowns"] != 4 || latencies["discord/whoowns"] != 1 {
		t.Errorf("latency sample counts = %v, want slack/whoowns 4, discord/whoowns 1", latencies)
	}
}
