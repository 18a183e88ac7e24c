package render

// DefaultLayout is the layout used when a template has none: a simple,
// responsive single-column e-mail (600 px wide, full width on phones) with
// the preheader as hidden preview text and, when a listener is configured,
// a footer with the recipient's profile and unsubscribe links. Custom
// layouts use the same slots: {{ content }} (required, once),
// {{ preheader }}, {{ subject }}, {{ lang }} and {{ footer }}, plus any
// placeholder and system link; the open pixel goes before </body>.
const DefaultLayout = `<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>{{ subject }}</title>
<style>
body{margin:0;padding:0;background:#f4f4f5;color:#1f2937;font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;-webkit-text-size-adjust:100%;}
.wrapper{width:100%;background:#f4f4f5;padding:24px 0;}
.content{max-width:600px;margin:0 auto;background:#ffffff;padding:32px;border-radius:6px;}
h1,h2,h3{color:#111827;line-height:1.25;margin:0 0 16px;}
h1{font-size:26px;}h2{font-size:21px;}h3{font-size:18px;}
p,ul,ol,blockquote,pre{margin:0 0 16px;}
a{color:#1d4ed8;}
img{max-width:100%;height:auto;border:0;}
blockquote{border-left:4px solid #d1d5db;padding-left:12px;color:#4b5563;}
pre{background:#f3f4f6;padding:12px;overflow:auto;}
hr{border:0;border-top:1px solid #e5e7eb;margin:24px 0;}
@media only screen and (max-width:620px){.wrapper{padding:0;}.content{border-radius:0;padding:20px;}}
</style>
</head>
<body>
<div class="preheader" style="display:none;font-size:1px;color:#f4f4f5;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;">{{ preheader }}&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;</div>
<div class="wrapper">
<div class="content">
{{ content }}
</div>{{ footer }}
</div>
</body>
</html>
`
