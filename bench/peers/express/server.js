// Benchmark peer: the service's benchmarked endpoints on Express 5, the way
// the article's "Node.js (Express)" row would be written. Same JSON, status
// codes and validation as edge-service's users API.
//
//   npm ci && PORT=8080 node server.js
"use strict";

const express = require("express");

const NAME_MAX_CHARS = 100;
const EMAIL_MAX_CHARS = 254;

/** id -> user; emails: lowercase email -> id (uniqueness ignores case). */
const users = new Map();
const emails = new Map();
let highestId = 0;

function apiError(res, status, code, message) {
  res.status(status).json({ error: { code, message } });
}

/** Returns [user fields, null] or [null, message] with the service's rules. */
function validateNewUser(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return [null, "body must be a JSON object"];
  }
  for (const key of Object.keys(value)) {
    if (key !== "name" && key !== "email") return [null, `unknown field '${key}'`];
  }
  if (typeof value.name !== "string") return [null, "name: must be a string"];
  if (typeof value.email !== "string") return [null, "email: must be a string"];
  const name = value.name.trim();
  const nameChars = [...name].length;
  if (nameChars < 1 || nameChars > NAME_MAX_CHARS) {
    return [null, `name: must be 1 to ${NAME_MAX_CHARS} characters`];
  }
  const email = value.email;
  if ([...email].length > EMAIL_MAX_CHARS) return [null, `email: must be at most ${EMAIL_MAX_CHARS} characters`];
  if (/[\s\p{Cc}]/u.test(email)) return [null, "email: must not contain spaces or control characters"];
  const parts = email.split("@");
  if (parts.length !== 2) return [null, "email: must contain exactly one '@'"];
  if (parts[0] === "" || parts[1] === "") return [null, "email: must have a non-empty part before and after '@'"];
  return [{ name, email }, null];
}

const app = express();
app.disable("x-powered-by");
app.disable("etag");

app.get("/api/hello", (req, res) => {
  res.json({ message: "Hello from Wasm!" });
});

// The cold-start probe (bench/coldstart/measure.py) waits for this one.
app.get("/api/health", (req, res) => {
  res.json({ status: "ok" });
});

app.get("/api/users/:id", (req, res) => {
  const rawId = req.params.id;
  if (!/^[0-9]{1,20}$/.test(rawId)) return apiError(res, 400, "bad_request", "id: must be a positive integer");
  const user = users.get(Number(rawId));
  if (!user) return apiError(res, 404, "not_found", `no user with id ${rawId}`);
  res.json(user);
});

app.post("/api/users", express.json({ limit: "1mb", strict: false }), (req, res) => {
  const [fields, problem] = validateNewUser(req.body);
  if (problem) return apiError(res, 400, "bad_request", problem);
  const key = fields.email.toLowerCase();
  if (emails.has(key)) return apiError(res, 409, "conflict", "a user with this email already exists");
  highestId += 1;
  const user = { id: highestId, name: fields.name, email: fields.email };
  users.set(user.id, user);
  emails.set(key, user.id);
  res.status(201).location(`/api/users/${user.id}`).json(user);
});

app.use((req, res) => apiError(res, 404, "not_found", `no route for ${req.path}`));

// A body that is not JSON reaches here from express.json(); keep the JSON error shape.
app.use((err, req, res, _next) => {
  const status = err.status && err.status < 500 ? err.status : 500;
  apiError(res, status, status === 500 ? "internal" : "bad_request", status === 500 ? "internal error" : err.message);
});

const port = Number(process.env.PORT || 8080);
const server = app.listen(port, process.env.HOST || "0.0.0.0", () => {
  console.error(`express peer listening on ${server.address().address}:${server.address().port}`);
});
