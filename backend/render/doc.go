// Package render personalizes mailings. Compile parses a template
// (subject, preheader, Markdown body, HTML layout) once: goldmark turns the
// body into HTML and plain-text programs of literal pieces and slots. Execute
// fills the slots for one recipient — placeholders with filters,
// salutation blocks, conditional content, link and image URLs rewritten by
// funcs the caller passes in — without parsing anything again, so recipient
// values are always data. It does no IO. The template syntax is documented
// in docs/templates.md.
package render
