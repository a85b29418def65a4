package stripemocktest

import (
	"net/http"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestStart(t *testing.T) {
	for _, url := range []string{Start(t), Shared(t), Shared(t)} {
		get(t, url)
	}
}

func get(t *testing.T, url string) {
	req, _ := http.NewRequest(http.MethodGet, url+"/v1/balance", nil)
	req.Header.Set("Authorization", "Bearer sk_test_123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/balance: %s", resp.Status)
	}
}
