module muxado-interop

go 1.21

require (
	github.com/inconshreveable/muxado v0.0.0-20160802230925-fc182d90f26e
	golang.ngrok.com/muxado/v2 v2.0.1
)
