// Package i18n gives Go the desk's catalogues (de.json and en.json, the
// files the UI loads), so that a page Go renders for the desk user (the
// consent proof) or a line the command line prints uses the same words.
package i18n

import (
	"bytes"
	"embed"
	"encoding/json"
	"strings"
	"sync"
)

//go:embed de.json en.json
var files embed.FS

var (
	once      sync.Once
	catalogue map[string]map[string]string
)

func load() {
	catalogue = map[string]map[string]string{}
	for _, lang := range []string{"de", "en"} {
		b, err := files.ReadFile(lang + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic("i18n: " + lang + ".json: " + err.Error())
		}
		catalogue[lang] = m
	}
}

// Lang returns lang if it has a catalogue, else "de" (German is the first
// language).
func Lang(lang string) string {
	if lang == "en" {
		return "en"
	}
	return "de"
}

// Has reports whether key is in the catalogue of lang.
func Has(lang, key string) bool {
	once.Do(load)
	_, ok := catalogue[Lang(lang)][key]
	return ok
}

// T returns the text under key in lang with its {name} placeholders filled
// from params; fallback (the English text a stored row carries) when the
// catalogue lacks key.
func T(lang, key, fallback string, params map[string]string) string {
	once.Do(load)
	text, ok := catalogue[Lang(lang)][key]
	if !ok {
		return fallback
	}
	for name, value := range params {
		text = strings.ReplaceAll(text, "{"+name+"}", value)
	}
	return text
}

var (
	scriptOnce sync.Once
	scriptText map[string][]byte
)

// ScriptJSON returns the catalogue of lang ("de" or "en", else nil) as
// compact JSON that may stand inside an HTML script element (<, > and &
// escaped as \u003c, \u003e, \u0026): the desktop window's page carries the
// catalogue it starts in, so the UI need not load it as a script of its own.
func ScriptJSON(lang string) []byte {
	scriptOnce.Do(func() {
		scriptText = map[string][]byte{}
		for _, l := range []string{"de", "en"} {
			b, err := files.ReadFile(l + ".json")
			if err != nil {
				panic(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, b); err != nil {
				panic("i18n: " + l + ".json: " + err.Error())
			}
			var safe bytes.Buffer
			json.HTMLEscape(&safe, compact.Bytes())
			scriptText[l] = safe.Bytes()
		}
	})
	return scriptText[lang]
}
