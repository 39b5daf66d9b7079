module edge-service/bench/peers/go-nethttp

go 1.19
