package mem

import (
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/pipelinetest"
)

func TestConformance(t *testing.T) {
	sink := NewSink("a", "b")
	pipelinetest.TestSink(t, pipelinetest.SinkEnv{Sink: sink, Topics: [2]string{"a", "b"}, Missing: "nope",
		Read: func(t *testing.T, topic string, n int) []pipeline.Output { return sink.Messages(topic)[:n] }})
	src := NewSource()
	pipelinetest.TestSource(t, pipelinetest.SourceEnv{
		Open: func(t *testing.T) pipeline.Source { src.Rewind(); return src },
		Produce: func(t *testing.T, values ...string) {
			for _, v := range values {
				src.Add(pipeline.Message{Topic: "in", Value: []byte(v), Time: time.Now()})
			}
		},
	})
	pipelinetest.TestLedger(t, NewLedger())
}
