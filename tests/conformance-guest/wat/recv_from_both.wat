;; §10 check 24 / §1: one module importing `sock_recv_from` twice, with 7 and
;; with 8 parameters (what linking wws 0.4 and 0.5 together produces). Each
;; import is resolved separately: the 7-parameter one behaves as V1, the
;; 8-parameter one as V2.
;; Steps: 20 V1 call fails, 21 V1 buffer [0..4] != 7f 00 00 01, 22 V2 call
;; fails, 23 V2 family != 1, 24 V2 ro_port != swapped sender port.
(module
  (import "wasi_snapshot_preview1" "sock_recv_from" (func $recv_from_v1 (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv_from" (func $recv_from_v2 (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
;;@PRELUDE
  (func (export "_start")
    (call $udp_pair_send (i32.const 2))
    (call $clear_addr_buffer)
    (call $check (i32.eqz (call $recv_from_v1 (i32.load (i32.const 64)) (i32.const 56) (i32.const 1)
      (i32.const 160) (i32.const 0) (i32.const 204) (i32.const 208))) (i32.const 20))
    (call $check (i32.eq (i32.load (i32.const 256)) (i32.const 0x0100007f)) (i32.const 21))
    (call $clear_addr_buffer)
    (i32.store (i32.const 200) (i32.const 0))
    (call $check (i32.eqz (call $recv_from_v2 (i32.load (i32.const 64)) (i32.const 56) (i32.const 1)
      (i32.const 160) (i32.const 0) (i32.const 200) (i32.const 204) (i32.const 208))) (i32.const 22))
    (call $check (i32.eq (i32.load16_u (i32.const 256)) (i32.const 1)) (i32.const 23))
    (call $check (i32.eq (i32.load16_u (i32.const 200)) (call $swap16 (i32.load (i32.const 120)))) (i32.const 24))))
