// Benchmark peer: the service's benchmarked endpoints on Node.js's built-in
// `node:http`, written the way a Node developer would without a framework.
// Same JSON, same status codes, same validation as edge-service's users API,
// so the comparison measures the runtime, not a difference in work.
// /api/health is there for the cold-start probe (bench/coldstart/measure.py).
//
//   PORT=8080 node server.js
"use strict";

const http = require("node:http");

const HELLO = JSON.stringify({ message: "Hello from Wasm!" });
const HEALTH = JSON.stringify({ status: "ok" });
const MAX_BODY_BYTES = 1024 * 1024;
const NAME_MAX_CHARS = 100;
const EMAIL_MAX_CHARS = 254;

/** id -> user; emails: lowercase email -> id (uniqueness ignores case). */
const users = new Map();
const emails = new Map();
let highestId = 0;

function send(res, status, body, headers) {
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function sendError(res, status, code, message) {
  send(res, status, JSON.stringify({ error: { code, message } }));
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

function createUser(req, res) {
  const chunks = [];
  let size = 0;
  let tooLarge = false;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      tooLarge = true;
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on("end", () => {
    if (tooLarge) return;
    let value;
    try {
      value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch (err) {
      return sendError(res, 400, "bad_request", `body is not valid JSON: ${err.message}`);
    }
    const [fields, problem] = validateNewUser(value);
    if (problem) return sendError(res, 400, "bad_request", problem);
    const key = fields.email.toLowerCase();
    if (emails.has(key)) return sendError(res, 409, "conflict", "a user with this email already exists");
    highestId += 1;
    const user = { id: highestId, name: fields.name, email: fields.email };
    users.set(user.id, user);
    emails.set(key, user.id);
    send(res, 201, JSON.stringify(user), { location: `/api/users/${user.id}` });
  });
}

function getUser(res, rawId) {
  if (!/^[0-9]{1,20}$/.test(rawId)) return sendError(res, 400, "bad_request", "id: must be a positive integer");
  const user = users.get(Number(rawId));
  if (!user) return sendError(res, 404, "not_found", `no user with id ${rawId}`);
  send(res, 200, JSON.stringify(user));
}

const server = http.createServer((req, res) => {
  const path = req.url.split("?", 1)[0];
  if (path === "/api/hello" && req.method === "GET") return send(res, 200, HELLO);
  if (path === "/api/health" && req.method === "GET") return send(res, 200, HEALTH);
  if (path === "/api/users" && req.method === "POST") return createUser(req, res);
  if (path.startsWith("/api/users/") && req.method === "GET") return getUser(res, path.slice("/api/users/".length));
  sendError(res, 404, "not_found", `no route for ${path}`);
});

const port = Number(process.env.PORT || 8080);
server.listen(port, process.env.HOST || "0.0.0.0", () => {
  console.error(`node-http peer listening on ${server.address().address}:${server.address().port}`);
});
