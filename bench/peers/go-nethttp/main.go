// Command go-nethttp is a benchmark peer: edge-service's benchmarked endpoints
// on Go's standard net/http and encoding/json, with the same JSON, status codes
// and validation as the service's users API. Standard library only, so it
// builds offline with Debian's golang package.
//
//	go build -o go-nethttp . && PORT=8080 ./go-nethttp
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

const (
	maxBodyBytes  = 1 << 20
	nameMaxChars  = 100
	emailMaxChars = 254
)

// User is the stored resource, as the API returns it.
type User struct {
	ID    uint64 `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// newUser is the body POST /api/users accepts.
type newUser struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
}

// userStore keeps users in memory; emails maps lowercase email -> id because
// uniqueness ignores case.
type userStore struct {
	mu        sync.RWMutex
	users     map[uint64]User
	emails    map[string]uint64
	highestID uint64
}

func (s *userStore) get(id uint64) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[id]
	return u, ok
}

// create stores a user and returns it, or false when the email is taken.
func (s *userStore) create(name, email string) (User, bool) {
	key := strings.ToLower(email)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.emails[key]; taken {
		return User{}, false
	}
	s.highestID++
	u := User{ID: s.highestID, Name: name, Email: email}
	s.users[u.ID] = u
	s.emails[key] = u.ID
	return u, true
}

var (
	helloBody  = []byte(`{"message":"Hello from Wasm!"}`)
	healthBody = []byte(`{"status":"ok"}`)
)

func writeJSON(w http.ResponseWriter, status int, value any) {
	body, err := json.Marshal(value)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]map[string]string{"error": {"code": code, "message": message}})
}

// validate applies the service's rules and returns the trimmed name and email.
func validate(in newUser) (string, string, string) {
	if in.Name == nil {
		return "", "", "name: missing"
	}
	if in.Email == nil {
		return "", "", "email: missing"
	}
	name := strings.TrimSpace(*in.Name)
	if n := utf8.RuneCountInString(name); n < 1 || n > nameMaxChars {
		return "", "", fmt.Sprintf("name: must be 1 to %d characters", nameMaxChars)
	}
	email := *in.Email
	if utf8.RuneCountInString(email) > emailMaxChars {
		return "", "", fmt.Sprintf("email: must be at most %d characters", emailMaxChars)
	}
	if strings.IndexFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", "", "email: must not contain spaces or control characters"
	}
	parts := strings.Split(email, "@")
	if len(parts) != 2 {
		return "", "", "email: must contain exactly one '@'"
	}
	if parts[0] == "" || parts[1] == "" {
		return "", "", "email: must have a non-empty part before and after '@'"
	}
	return name, email, ""
}

func (s *userStore) handleCreate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use POST")
		return
	}
	var in newUser
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "body: "+err.Error())
		return
	}
	var trailing bytes.Buffer
	if n, _ := trailing.ReadFrom(dec.Buffered()); n > 0 && len(bytes.TrimSpace(trailing.Bytes())) > 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "body: trailing data after the JSON object")
		return
	}
	name, email, problem := validate(in)
	if problem != "" {
		writeError(w, http.StatusBadRequest, "bad_request", problem)
		return
	}
	u, ok := s.create(name, email)
	if !ok {
		writeError(w, http.StatusConflict, "conflict", "a user with this email already exists")
		return
	}
	w.Header().Set("Location", "/api/users/"+strconv.FormatUint(u.ID, 10))
	writeJSON(w, http.StatusCreated, u)
}

func (s *userStore) handleGet(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET")
		return
	}
	raw := strings.TrimPrefix(r.URL.Path, "/api/users/")
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "id: must be a positive integer")
		return
	}
	u, ok := s.get(id)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no user with id "+raw)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// constantJSON answers every request with the same JSON document.
func constantJSON(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}
}

func main() {
	store := &userStore{users: map[uint64]User{}, emails: map[string]uint64{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/hello", constantJSON(helloBody))
	// The cold-start probe (bench/coldstart/measure.py) waits for this one.
	mux.HandleFunc("/api/health", constantJSON(healthBody))
	mux.HandleFunc("/api/users", store.handleCreate)
	mux.HandleFunc("/api/users/", store.handleGet)

	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	host := os.Getenv("HOST")
	if host == "" {
		host = "0.0.0.0"
	}
	listener, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		log.Fatalf("go-nethttp peer: cannot listen: %v", err)
	}
	log.Printf("go-nethttp peer listening on %s", listener.Addr())
	log.Fatal(http.Serve(listener, mux))
}
