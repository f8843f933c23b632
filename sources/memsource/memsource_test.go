package memsource

import (
	"testing"

	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/sourcetest"
)

func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Caps{Flags: true, Dates: true}, func(t *testing.T, fx []sourcetest.Fixture) sources.Source {
		var msgs []Message
		for _, f := range fx {
			msgs = append(msgs, Message{Raw: f.Raw, Flags: f.Flags, Date: f.Date})
		}
		return NewBox(msgs...).Source()
	})
}

func TestStreamerConformance(t *testing.T) {
	sourcetest.RunStreamer(t, func(t *testing.T, fx []sourcetest.Fixture) sources.Source {
		var msgs []Message
		for _, f := range fx {
			msgs = append(msgs, Message{Raw: f.Raw, Flags: f.Flags, Date: f.Date})
		}
		return NewBox(msgs...).StreamingSource()
	})
}
