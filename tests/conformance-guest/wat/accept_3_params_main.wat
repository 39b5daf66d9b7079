;; §10 check 24 as WasmEdge's main branch behaves (after 0.17.1, where
;; `sock_accept` applies NONBLOCK to the accepted socket): a module importing
;; the 3-parameter `sock_accept` (standard preview1 shape) instantiates and gets
;; V2: fdflags outside 0x1F are INVAL, and NONBLOCK makes the accepted socket
;; non-blocking. accept_3_params.wat is the same check for 0.17.x.
;; Steps: 20 flags 0x20 not INVAL (28), 21 accept with NONBLOCK fails,
;; 22 accepted fs_flags != 4, 23 accept on the empty listener != AGAIN (6).
(module
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
;;@PRELUDE
  (func (export "_start")
    (call $listener_with_pending_client)
    (call $check (i32.eq (call $sock_accept (i32.load (i32.const 64)) (i32.const 0x20) (i32.const 72)) (i32.const 28)) (i32.const 20))
    (call $check (i32.eqz (call $sock_accept (i32.load (i32.const 64)) (i32.const 4) (i32.const 72))) (i32.const 21))
    (call $check (i32.eq (call $accepted_flags) (i32.const 4)) (i32.const 22))
    (call $check (i32.eq (call $sock_accept (i32.load (i32.const 64)) (i32.const 0) (i32.const 72)) (i32.const 6)) (i32.const 23))))
