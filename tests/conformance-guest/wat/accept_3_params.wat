;; §10 check 24 as WasmEdge 0.17.x behaves: a module importing the 3-parameter
;; `sock_accept` (standard preview1 shape) instantiates and gets V2: fdflags
;; outside 0x1F are INVAL; NONBLOCK is applied to the *listening* socket, not to
;; the accepted one (0.17.0 lib/host/wasi/inode-linux.cpp INode::sockAccept
;; calls fcntl(Fd, F_SETFL, ...) on the listener; WasmEdge's main branch fixed
;; it, see accept_3_params_main.wat).
;; Steps: 20 making the listener blocking fails, 21 flags 0x20 not INVAL (28),
;; 22 accept with NONBLOCK fails, 23 accepted fs_flags != 0, 24 listener
;; fs_flags != 4 afterwards, 25 accept on the empty listener != AGAIN (6).
(module
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
;;@PRELUDE
  ;; fs_flags of the listener (fd stored at 64).
  (func $listener_flags (result i32)
    (call $check (i32.eqz (call $fd_fdstat_get (i32.load (i32.const 64)) (i32.const 80))) (i32.const 9))
    (i32.load16_u (i32.const 82)))
  (func (export "_start")
    (call $listener_with_pending_client)
    (call $check (i32.eqz (call $fd_fdstat_set_flags (i32.load (i32.const 64)) (i32.const 0))) (i32.const 20))
    (call $check (i32.eq (call $sock_accept (i32.load (i32.const 64)) (i32.const 0x20) (i32.const 72)) (i32.const 28)) (i32.const 21))
    (call $check (i32.eqz (call $sock_accept (i32.load (i32.const 64)) (i32.const 4) (i32.const 72))) (i32.const 22))
    (call $check (i32.eqz (call $accepted_flags)) (i32.const 23))
    (call $check (i32.eq (call $listener_flags) (i32.const 4)) (i32.const 24))
    (call $check (i32.eq (call $sock_accept (i32.load (i32.const 64)) (i32.const 0) (i32.const 72)) (i32.const 6)) (i32.const 25))))
