  ;; ---- shared prelude (spliced in by scripts/conformance.sh at ";;@PRELUDE") ----
  ;; Imports every case-24 module needs besides the one under test, the memory
  ;; layout below, and helpers. A module reports through its exit status:
  ;; 0 = every step passed, N = step N failed (steps 1..19 are set-up here,
  ;; 20+ are the module's own checks, documented in each file).
  (import "wasi_snapshot_preview1" "sock_open" (func $sock_open (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_bind" (func $sock_bind (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_listen" (func $sock_listen (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_connect" (func $sock_connect (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_getlocaladdr" (func $sock_getlocaladdr (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send_to" (func $sock_send_to (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $fd_fdstat_set_flags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  ;; Layout: 16 address struct {32, 4} -> 127.0.0.1 at 32; 40 ciovec {48, 2} -> "hi";
  ;; 56 iovec {96, 16} (receive buffer 96..112); 64/68/72 out fds; 80 fdstat (24 bytes);
  ;; 112 addr_type; 116 port A; 120 port B; 124 so_datalen; 128..144 address buffer with
  ;; its struct at 144 {128, 16}; 160 struct {256, 128} for a 128-byte address buffer;
  ;; 200/204/208 recv_from out-parameters.
  (memory (export "memory") 1)
  (data (i32.const 16) "\20\00\00\00\04\00\00\00")
  (data (i32.const 32) "\7f\00\00\01")
  (data (i32.const 40) "\30\00\00\00\02\00\00\00")
  (data (i32.const 48) "hi")
  (data (i32.const 56) "\60\00\00\00\10\00\00\00")
  (data (i32.const 144) "\80\00\00\00\10\00\00\00")
  (data (i32.const 160) "\00\01\00\00\80\00\00\00")

  ;; Exits with $step unless $ok.
  (func $check (param $ok i32) (param $step i32)
    (if (i32.eqz (local.get $ok)) (then (call $proc_exit (local.get $step)))))

  ;; The host-order port of socket $fd (V1 getlocaladdr).
  (func $port_of (param $fd i32) (result i32)
    (call $check (i32.eqz (call $sock_getlocaladdr (local.get $fd) (i32.const 144) (i32.const 112) (i32.const 116))) (i32.const 1))
    (i32.load (i32.const 116)))

  ;; A TCP listener on 127.0.0.1:0 (fd at 64, made non-blocking after) with one
  ;; connected guest client (fd at 68) pending in its queue.
  (func $listener_with_pending_client
    (call $check (i32.eqz (call $sock_open (i32.const 1) (i32.const 2) (i32.const 64))) (i32.const 2))
    (call $check (i32.eqz (call $sock_bind (i32.load (i32.const 64)) (i32.const 16) (i32.const 0))) (i32.const 3))
    (call $check (i32.eqz (call $sock_listen (i32.load (i32.const 64)) (i32.const 128))) (i32.const 4))
    (call $check (i32.eqz (call $sock_open (i32.const 1) (i32.const 2) (i32.const 68))) (i32.const 5))
    (call $check (i32.eqz (call $sock_connect (i32.load (i32.const 68)) (i32.const 16)
      (call $port_of (i32.load (i32.const 64))))) (i32.const 6))
    (call $check (i32.eqz (call $fd_fdstat_set_flags (i32.load (i32.const 64)) (i32.const 4))) (i32.const 7)))

  ;; fs_flags of the fd stored at 72.
  (func $accepted_flags (result i32)
    (call $check (i32.eqz (call $fd_fdstat_get (i32.load (i32.const 72)) (i32.const 80))) (i32.const 8))
    (i32.load16_u (i32.const 82)))

  ;; Two UDP sockets on 127.0.0.1: A (fd at 64, port at 116) and B (fd at 68,
  ;; port at 120); B sends $count datagrams "hi" to A.
  (func $udp_pair_send (param $count i32)
    (local $port_a i32)
    (call $check (i32.eqz (call $sock_open (i32.const 1) (i32.const 1) (i32.const 64))) (i32.const 10))
    (call $check (i32.eqz (call $sock_bind (i32.load (i32.const 64)) (i32.const 16) (i32.const 0))) (i32.const 11))
    (call $check (i32.eqz (call $sock_open (i32.const 1) (i32.const 1) (i32.const 68))) (i32.const 12))
    (call $check (i32.eqz (call $sock_bind (i32.load (i32.const 68)) (i32.const 16) (i32.const 0))) (i32.const 13))
    (i32.store (i32.const 120) (call $port_of (i32.load (i32.const 68))))
    (local.set $port_a (call $port_of (i32.load (i32.const 64))))
    (block $done
      (loop $send
        (br_if $done (i32.eqz (local.get $count)))
        (call $check (i32.eqz (call $sock_send_to (i32.load (i32.const 68)) (i32.const 40) (i32.const 1)
          (i32.const 16) (local.get $port_a) (i32.const 0) (i32.const 124))) (i32.const 14))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $send))))

  ;; Clears the 128-byte address buffer at 256 to 0xEE.
  (func $clear_addr_buffer
    (local $at i32)
    (local.set $at (i32.const 256))
    (loop $fill
      (i32.store (local.get $at) (i32.const 0xEEEEEEEE))
      (local.set $at (i32.add (local.get $at) (i32.const 4)))
      (br_if $fill (i32.lt_u (local.get $at) (i32.const 384)))))

  ;; The u16 port byte-swapped (what V2 recv_from writes, WasmEdge issue #2491).
  (func $swap16 (param $p i32) (result i32)
    (i32.or (i32.shl (i32.and (local.get $p) (i32.const 0xFF)) (i32.const 8))
            (i32.shr_u (i32.and (local.get $p) (i32.const 0xFF00)) (i32.const 8))))
  ;; ---- end of prelude ----
