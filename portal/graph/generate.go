package graph

// gqlgen resolves portal/gqlgen.yml's paths from the working directory:
// run it from the repository root, where the merchant configuration also
// lives (`go generate ./...` regenerates both APIs).
//go:generate sh -c "cd ../.. && go tool gqlgen generate --config portal/gqlgen.yml"
