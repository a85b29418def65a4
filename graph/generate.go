package graph

// gqlgen resolves gqlgen.yml's paths from the working directory: run it
// from the repository root, where the configuration lives.
//go:generate sh -c "cd .. && go tool gqlgen generate"
