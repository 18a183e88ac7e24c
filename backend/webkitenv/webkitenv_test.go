package webkitenv

import (
	"reflect"
	"testing"
)

// TestSwitches: the window sets WebKitGTK's start-up switches that
// skip the GL set-up it never uses, names the machine's first render node
// (or the conventional first one when it has none), and leaves every
// variable the user has set as it is, including to WebKit's defaults.
func TestSwitches(t *testing.T) {
	all := []Setting{
		{"WEBKIT_DISABLE_DMABUF_RENDERER", "1"},
		{"WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/dri/renderD128"},
		{"GDK_GL", "disable"},
	}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		nodes []string
		want  []Setting
	}{
		{"nothing set, no GPU", nil, nil, all},
		{"nothing set, two GPUs", nil, []string{"/dev/dri/renderD129", "/dev/dri/renderD130"}, []Setting{
			{"WEBKIT_DISABLE_DMABUF_RENDERER", "1"},
			{"WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/dri/renderD129"},
			{"GDK_GL", "disable"},
		}},
		{"the user wants the DMA-BUF renderer", map[string]string{"WEBKIT_DISABLE_DMABUF_RENDERER": "0"}, nil, all[1:]},
		{"the user names the device and GTK's GL", map[string]string{"WEBKIT_WEB_RENDER_DEVICE_FILE": "/dev/dri/renderD131", "GDK_GL": "gles"}, nil, all[:1]},
		{"empty values count as set", map[string]string{"WEBKIT_DISABLE_DMABUF_RENDERER": "", "WEBKIT_WEB_RENDER_DEVICE_FILE": "", "GDK_GL": ""}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			if got := Switches(lookup, tc.nodes); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Switches = %v, want %v", got, tc.want)
			}
		})
	}
}
