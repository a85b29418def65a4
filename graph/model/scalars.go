package model

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalMetadata writes metadata as a JSON object, never null.
func MarshalMetadata(m map[string]string) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if m == nil {
			m = map[string]string{}
		}
		b, _ := json.Marshal(m)
		_, _ = w.Write(b)
	})
}

// UnmarshalMetadata reads a JSON object whose values are strings.
func UnmarshalMetadata(v any) (map[string]string, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("metadata must be an object of strings")
	}
	out := make(map[string]string, len(obj))
	for k, val := range obj {
		s, ok := val.(string)
		if !ok {
			return nil, fmt.Errorf("metadata value of %q must be a string", k)
		}
		out[k] = s
	}
	return out, nil
}

// MarshalJSON writes stored JSON (an event's snapshot) as it is.
func MarshalJSON(raw json.RawMessage) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if len(raw) == 0 {
			raw = json.RawMessage("null")
		}
		_, _ = w.Write(raw)
	})
}

// UnmarshalJSON refuses JSON input: the scalar is output only.
func UnmarshalJSON(any) (json.RawMessage, error) {
	return nil, fmt.Errorf("JSON is an output type")
}
