module github.com/${{ values.repoSlug }}

go 1.23

require (
	github.com/acme/go-service-kit v1.8.2
	google.golang.org/grpc v1.67.1
)
