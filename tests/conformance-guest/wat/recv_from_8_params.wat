;; §10 check 24: an 8-parameter `sock_recv_from` binds V2 (§1, §4): into a
;; 128-byte buffer it writes the u16 family 1 at [0..2] and the address at
;; [2..6]; `ro_port` (6th parameter) gets the sender's port as a network-order
;; u16; `ro_datalen` is the 7th parameter.
;; Steps: 20 call fails, 21 family != 1, 22 address != 127.0.0.1,
;; 23 ro_port != swapped sender port, 24 ro_datalen != 2.
(module
  (import "wasi_snapshot_preview1" "sock_recv_from" (func $sock_recv_from (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
;;@PRELUDE
  (func (export "_start")
    (call $udp_pair_send (i32.const 1))
    (call $clear_addr_buffer)
    (i32.store (i32.const 200) (i32.const 0))
    (call $check (i32.eqz (call $sock_recv_from (i32.load (i32.const 64)) (i32.const 56) (i32.const 1)
      (i32.const 160) (i32.const 0) (i32.const 200) (i32.const 204) (i32.const 208))) (i32.const 20))
    (call $check (i32.eq (i32.load16_u (i32.const 256)) (i32.const 1)) (i32.const 21))
    (call $check (i32.eq (i32.load (i32.const 258)) (i32.const 0x0100007f)) (i32.const 22))
    (call $check (i32.eq (i32.load16_u (i32.const 200)) (call $swap16 (i32.load (i32.const 120)))) (i32.const 23))
    (call $check (i32.eq (i32.load (i32.const 204)) (i32.const 2)) (i32.const 24))))
