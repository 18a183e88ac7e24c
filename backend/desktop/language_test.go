package desktop_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// jsonSettings keeps named settings as JSON, as the store does.
type jsonSettings struct {
	fakeSettings
	values map[string][]byte
}

func (s *jsonSettings) Value(_ context.Context, name string, v any) (bool, error) {
	b, ok := s.values[name]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(b, v)
}

func (s *jsonSettings) SetValue(_ context.Context, name string, v any) error {
	b, err := json.Marshal(v)
	s.values[name] = b
	return err
}

// TestSettings_Language: the chosen UI language is stored in the settings
// (shared by the window and browser mode); only de and en are accepted.
func TestSettings_Language(t *testing.T) {
	svc := &jsonSettings{values: map[string][]byte{}}
	s := desktop.NewSettings(context.Background(), svc, nil)
	if lang, err := s.GetLanguage(); err != nil || lang != "" {
		t.Fatalf("before a choice: %q, %v; want \"\"", lang, err)
	}
	if _, err := s.SaveLanguage("de"); err != nil {
		t.Fatal(err)
	}
	if lang, err := s.GetLanguage(); err != nil || lang != "de" {
		t.Fatalf("after choosing de: %q, %v", lang, err)
	}
	_, err := s.SaveLanguage("fr")
	if resonanz.ErrorCode(err) != resonanz.EINVALID {
		t.Fatalf("fr: %v; want EINVALID", err)
	}
	if lang, _ := s.GetLanguage(); lang != "de" {
		t.Fatalf("a refused language replaced the choice: %q", lang)
	}
}
