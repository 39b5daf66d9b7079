;; §10 check 24: a 7-parameter `sock_recv_from` binds V1 (§1, §4): the source
;; address is copied raw (4 bytes for IPv4) to the start of the buffer, with no
;; family and no port; `ro_datalen` is the 6th parameter.
;; Steps: 20 call fails, 21 buffer [0..4] != 7f 00 00 01, 22 ro_datalen != 2.
(module
  (import "wasi_snapshot_preview1" "sock_recv_from" (func $sock_recv_from (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
;;@PRELUDE
  (func (export "_start")
    (call $udp_pair_send (i32.const 1))
    (call $clear_addr_buffer)
    (call $check (i32.eqz (call $sock_recv_from (i32.load (i32.const 64)) (i32.const 56) (i32.const 1)
      (i32.const 160) (i32.const 0) (i32.const 204) (i32.const 208))) (i32.const 20))
    (call $check (i32.eq (i32.load (i32.const 256)) (i32.const 0x0100007f)) (i32.const 21))
    (call $check (i32.eq (i32.load (i32.const 204)) (i32.const 2)) (i32.const 22))))
