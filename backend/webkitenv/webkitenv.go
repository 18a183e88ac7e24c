// Package webkitenv holds what the desktop window's start depends on: its
// WebKitGTK start-up switches and its window options, shared by the desk's
// window (window.go) and make bench's bare window (bench/barewindow), so
// that the bench's floor is the same window.
package webkitenv

import (
	"os"
	"path/filepath"

	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
)

// Window returns the window's options (title, size, background, WebKit's
// GPU policy); the caller adds its assets, bindings and hooks.
func Window() *options.App {
	return &options.App{
		Title:            "Resonanz",
		Width:            1280,
		Height:           820,
		MinWidth:         960,
		MinHeight:        640,
		BackgroundColour: &options.RGBA{R: 248, G: 249, B: 251, A: 255},
		// No GPU compositing: for these pages (forms, a table, canvas
		// charts) WebKit's CPU painting is enough, and setting up the GL
		// compositor cost about a quarter of the start-up's CPU time under
		// Xvfb (Mesa's llvmpipe compiling shaders, Skia's GPU workers).
		Linux: &linux.Options{ProgramName: "resonanz", WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
	}
}

// The window's WebKitGTK start-up switches. GTK and WebKitGTK read these from
// the environment only (there is no API for them in WebKitGTK 4.1), so the
// window program sets them for itself before GTK starts (window.go; make
// bench's bare window, bench/barewindow, sets the same).
//
// The window paints its pages on the CPU (WebviewGpuPolicyNever in
// Window: forms, a table and canvas charts need no GPU compositing).
// WebKitGTK 2.50 still sets up OpenGL in the window's process at start, for
// nothing it then uses here: GTK probes GLX when it opens an X11 display,
// WebKit's DMA-BUF renderer creates an EGL context and compiles shaders to
// show the CPU-painted page as a GL texture, and before the first web
// process starts WebKit opens an EGL display only to ask which DRM device
// it is on. With Mesa that means loading the driver (and LLVM) and, without
// a GPU, compiling shaders in software: under Xvfb 0.2-0.3 s of the start.
// The switches below skip that set-up; the page is painted exactly as
// before (by the web process, on the CPU) and reaches the window through
// shared memory, drawn with cairo — WebKit's path for windows without
// hardware acceleration, the same on X11 and Wayland.

// Setting is one environment variable the window sets for itself.
type Setting struct{ Key, Value string }

// defaultRenderNode is the DRM render node WebKit is told it runs on when
// the machine has none (a virtual machine, Xvfb): WebKit then finds no
// device, as its own query would; it opens the node only for GPU buffers,
// which the window never asks for.
const defaultRenderNode = "/dev/dri/renderD128"

// Switches returns the switches the window sets before GTK starts,
// leaving alone any the user has set (lookup is os.LookupEnv): a user who
// wants WebKit's defaults back sets the variable to its default value, e.g.
// WEBKIT_DISABLE_DMABUF_RENDERER=0. renderNodes are the machine's DRM
// render nodes (/dev/dri/renderD*), sorted.
func Switches(lookup func(string) (string, bool), renderNodes []string) []Setting {
	node := defaultRenderNode
	if len(renderNodes) > 0 {
		node = renderNodes[0] // the first GPU, the one WebKit's query usually names
	}
	var out []Setting
	for _, s := range []Setting{
		// The page's painted buffers go to the window through shared
		// memory and are drawn with cairo instead of through an EGL
		// context (WebKit's DMA-BUF renderer).
		{"WEBKIT_DISABLE_DMABUF_RENDERER", "1"},
		// The DRM device WebKit passes to its web process: given, WebKit
		// does not open an EGL display to look it up.
		{"WEBKIT_WEB_RENDER_DEVICE_FILE", node},
		// GTK 3 opens no GLX (X11) or EGL (Wayland) context for this
		// window, which draws no GL of its own.
		{"GDK_GL", "disable"},
	} {
		if _, set := lookup(s.Key); !set {
			out = append(out, s)
		}
	}
	return out
}

// SetSwitches sets the switches of Switches in this process. It
// must run before GTK starts and while no other thread reads the
// environment (C's setenv is not safe beside a concurrent getenv).
func SetSwitches() {
	nodes, _ := filepath.Glob("/dev/dri/renderD*") // sorted; an error only for a bad pattern
	for _, s := range Switches(os.LookupEnv, nodes) {
		_ = os.Setenv(s.Key, s.Value)
	}
}
