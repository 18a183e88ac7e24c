//go:build (production || dev || bindings) && !linux

package main

// startGTK does nothing where the window is not GTK's (Windows, macOS).
func startGTK() bool { return false }
