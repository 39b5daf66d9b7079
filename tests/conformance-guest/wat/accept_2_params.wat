;; §10 check 24: a module importing the 2-parameter `sock_accept` instantiates
;; and gets V1 (§1): the accepted socket is blocking even though the listener
;; is non-blocking, and an empty non-blocking listener gives AGAIN.
;; Steps: 20 accept fails, 21 accepted fs_flags != 0, 22 second accept != AGAIN (6).
(module
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32) (result i32)))
;;@PRELUDE
  (func (export "_start")
    (call $listener_with_pending_client)
    (call $check (i32.eqz (call $sock_accept (i32.load (i32.const 64)) (i32.const 72))) (i32.const 20))
    (call $check (i32.eqz (call $accepted_flags)) (i32.const 21))
    (call $check (i32.eq (call $sock_accept (i32.load (i32.const 64)) (i32.const 72)) (i32.const 6)) (i32.const 22))))
