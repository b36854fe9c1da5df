;; The word counter of words-counter.ts (scan, in words-scan.wat) and words-table.ts
;; (WordTable, here) for compute threads, in WebAssembly: the same rule (SPEC §4), the same
;; UTF-8 decoding, the same keys, hashes and packed output, so words-wasm.ts packs what
;; WordTable.pack() would. Byte loops run without the typed-array checks of JavaScript;
;; test/jobs/words-wasm.test.ts holds it to the JavaScript counter and the regex reference.
;;
;; Memory: FOLDED (ASCII letters and digits to their folded byte, else 0) at 0, FOLD at 256,
;; the BMP word-character bitset at 1024 (filled by the host), REVERSE (swizzle indices, filled
;; by init) at 9216, the input at INPUT (16 KiB), then from $home the reserves of the table's
;; regions (see reset): slots (16 bytes: lo, hi, entry + 1, count since the last settle()),
;; entries (24 bytes: key offset in the arena, length, hash, wide, count as f64) and the arena
;; (each key's folded bytes and a space); from $base, regions that outgrew their reserve and
;; inputs too large for theirs, bump-allocated from $top and given back all at once by reset().
(module
  (import "host" "isAstralWord" (func $isAstralWord (param i32) (result i32)))
  (memory (export "memory") 32)

  ;; Where the slots' reserve starts (the input region ends); the entries' and the arena's
  ;; reserves follow it, and $base, where bump allocation starts, follows them.
  (global $home (mut i32) (i32.const 0))
  (global $base (mut i32) (i32.const 0))
  (global $top (mut i32) (i32.const 0))
  (global $slots (mut i32) (i32.const 0))
  (global $slotCap (mut i32) (i32.const 0))
  (global $ents (mut i32) (i32.const 0))
  (global $entCap (mut i32) (i32.const 0))
  (global $size (mut i32) (i32.const 0))
  (global $arena (mut i32) (i32.const 0))
  (global $arenaCap (mut i32) (i32.const 0))
  (global $used (mut i32) (i32.const 0))

  (func (export "size") (result i32) (global.get $size))
  (func (export "used") (result i32) (global.get $used))
  (func (export "arena") (result i32) (global.get $arena))
  (func (export "entries") (result i32) (global.get $ents))
  ;; For tests: where the slots are (a slot's count at +12).
  (func (export "slots") (result i32) (global.get $slots))

  ;; `bytes` at the top of the regions, growing the memory as needed (a trap when it cannot).
  (func $alloc (param $bytes i32) (result i32)
    (local $p i32) (local $end i32) (local $have i32)
    (local.set $p (i32.and (i32.add (global.get $top) (i32.const 15)) (i32.const -16)))
    (local.set $end (i32.add (local.get $p) (local.get $bytes)))
    (if (i32.lt_u (local.get $end) (local.get $p)) (then (unreachable)))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 0xffff)) (i32.const 16)))
              (i32.const -1))
          (then (unreachable)))))
    (global.set $top (local.get $end))
    (local.get $p))

  ;; Where an input of `n` bytes goes: the fixed input region when it fits, else the top
  ;; (the space is then held until reset()).
  (func (export "input") (param $n i32) (result i32)
    (if (result i32) (i32.le_u (local.get $n) (i32.sub (global.get $home) (i32.const 16384)))
      (then (i32.const 16384))
      (else (call $alloc (local.get $n)))))

  ;; Sets the input region's size and empties the table.
  (func (export "init") (param $inputBytes i32)
    (local $at i32) (local $k i32)
    ;; REVERSE at 9216: for each length L up to 8, sixteen swizzle indices that put a word's
    ;; L bytes last first (as the byte loop rolls them into lo and hi) and zeros after.
    (loop $lengths
      (local.set $k (i32.const 0))
      (loop $lanes
        (i32.store8 offset=9216 (i32.add (i32.shl (local.get $at) (i32.const 4)) (local.get $k))
          (select (i32.sub (i32.sub (local.get $at) (i32.const 1)) (local.get $k)) (i32.const 0xff)
            (i32.lt_u (local.get $k) (local.get $at))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $lanes (i32.lt_u (local.get $k) (i32.const 16))))
      (local.set $at (i32.add (local.get $at) (i32.const 1)))
      (br_if $lengths (i32.le_u (local.get $at) (i32.const 8))))
    (global.set $home (i32.and (i32.add (i32.add (i32.const 16384) (local.get $inputBytes)) (i32.const 15)) (i32.const -16)))
    (global.set $top (global.get $home))
    (global.set $base (i32.add (global.get $home) (i32.const 0x1200000)))
    (drop (call $alloc (i32.const 0x1200000)))
    (call $reset))

  ;; The table starts in its reserves: the slots (8 MiB: 2^19 slots, room for
  ;; 2^18 words) grow there in place; the entries (6 MiB: 2^18) and the arena (4 MiB) fill
  ;; theirs. A table that outgrows a reserve moves that region above them (bump-allocated,
  ;; given back by reset). Pages of a reserve that no session has reached are never touched,
  ;; so they take no memory: a table grown in place leaves no outgrown copies behind.
  (func $reset (export "reset")
    (global.set $top (global.get $base))
    (global.set $slotCap (i32.const 1024))
    (global.set $slots (global.get $home))
    (memory.fill (global.get $slots) (i32.const 0) (i32.const 16384))
    (global.set $entCap (i32.const 0x40000))
    (global.set $ents (i32.add (global.get $home) (i32.const 0x800000)))
    (global.set $arenaCap (i32.const 0x400000))
    (global.set $arena (i32.add (global.get $home) (i32.const 0xe00000)))
    (global.set $size (i32.const 0))
    (global.set $used (i32.const 0)))

  (func $mix (param $h i32) (result i32)
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0x45d9f3b)))
    (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))

  (func $shortKeyHash (param $lo i32) (param $hi i32) (result i32)
    (i32.xor
      (i32.mul (i32.xor (local.get $lo) (i32.shr_u (local.get $lo) (i32.const 15))) (i32.const 0x9e3779b1))
      (i32.mul (i32.xor (local.get $hi) (i32.shr_u (local.get $hi) (i32.const 13))) (i32.const 0x85ebca6b))))

  ;; FNV-1a over the folded bytes [start, end).
  (func $longKeyHash (param $start i32) (param $end i32) (result i32)
    (local $h i32)
    (local.set $h (i32.const 0x811c9dc5))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $start) (local.get $end)))
        (local.set $h (i32.mul
          (i32.xor (local.get $h) (i32.load8_u offset=256 (i32.load8_u (local.get $start))))
          (i32.const 0x01000193)))
        (local.set $start (i32.add (local.get $start) (i32.const 1)))
        (br $next)))
    (local.get $h))

  ;; Whether entry `e`'s key is the word [start, end).
  (func $equals (param $e i32) (param $start i32) (param $end i32) (result i32)
    (local $at i32) (local $k i32)
    (local.set $at (i32.add (global.get $ents) (i32.mul (local.get $e) (i32.const 24))))
    (if (i32.ne (i32.load offset=4 (local.get $at)) (i32.sub (local.get $end) (local.get $start)))
      (then (return (i32.const 0))))
    (local.set $k (i32.add (global.get $arena) (i32.load (local.get $at))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $start) (local.get $end)))
        (if (i32.ne (i32.load8_u (local.get $k)) (i32.load8_u offset=256 (i32.load8_u (local.get $start))))
          (then (return (i32.const 0))))
        (local.set $start (i32.add (local.get $start) (i32.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; Copies the folded key and a space into the arena; returns its offset there.
  (func $store (param $start i32) (param $len i32) (result i32)
    (local $cap i32) (local $bigger i32) (local $at i32) (local $j i32)
    (if (i32.gt_u (i32.add (i32.add (global.get $used) (local.get $len)) (i32.const 1)) (global.get $arenaCap))
      (then
        (local.set $cap (i32.shl (global.get $arenaCap) (i32.const 1)))
        (if (i32.lt_u (local.get $cap) (i32.add (i32.add (global.get $used) (local.get $len)) (i32.const 1)))
          (then (local.set $cap (i32.add (i32.add (global.get $used) (local.get $len)) (i32.const 1)))))
        (local.set $bigger (call $alloc (local.get $cap)))
        (memory.copy (local.get $bigger) (global.get $arena) (global.get $used))
        (global.set $arena (local.get $bigger))
        (global.set $arenaCap (local.get $cap))))
    (local.set $at (i32.add (global.get $arena) (global.get $used)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $len)))
        (i32.store8 (i32.add (local.get $at) (local.get $j))
          (i32.load8_u offset=256 (i32.load8_u (i32.add (local.get $start) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next)))
    (i32.store8 (i32.add (local.get $at) (local.get $len)) (i32.const 0x20))
    (global.set $used (i32.add (i32.add (global.get $used) (local.get $len)) (i32.const 1)))
    (i32.sub (local.get $at) (global.get $arena)))

  ;; The hash of the word in the slot at `at`: a short key's from its bytes, a long key's as kept.
  (func $slotHash (param $at i32) (result i32)
    (if (result i32) (i32.eq (i32.load offset=4 (local.get $at)) (i32.const -1))
      (then (i32.load (local.get $at)))
      (else (call $shortKeyHash (i32.load (local.get $at)) (i32.load offset=4 (local.get $at))))))

  ;; Moves the counts kept in the slots into the entries, where pack() reads them.
  (func $settle (export "settle")
    (local $at i32) (local $endAt i32) (local $e i32)
    (local.set $at (global.get $slots))
    (local.set $endAt (i32.add (local.get $at) (i32.shl (global.get $slotCap) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $endAt)))
        (local.set $e (i32.load offset=8 (local.get $at)))
        (if (local.get $e)
          (then
            (local.set $e (i32.add (global.get $ents) (i32.mul (i32.sub (local.get $e) (i32.const 1)) (i32.const 24))))
            (f64.store offset=16 (local.get $e)
              (f64.add (f64.load offset=16 (local.get $e)) (f64.convert_i32_u (i32.load offset=12 (local.get $at)))))
            (i32.store offset=12 (local.get $at) (i32.const 0))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $next))))

  ;; Twice the slots, in place while they fit the reserve: the counts move to the entries, and
  ;; the slots are made again from the entries.
  (func $grow
    (local $cap i32) (local $mask i32) (local $k i32) (local $at i32) (local $key i32) (local $len i32)
    (local $lo i32) (local $hi i32) (local $j i32) (local $slot i32) (local $to i32)
    (local.set $cap (i32.shl (global.get $slotCap) (i32.const 1)))
    (if (i32.or
          (i32.ne (global.get $slots) (global.get $home))
          (i32.gt_u (i32.shl (local.get $cap) (i32.const 4)) (i32.const 0x800000)))
      (then
        (call $rehash (local.get $cap))
        (return)))
    (call $settle)
    (memory.fill (global.get $slots) (i32.const 0) (i32.shl (local.get $cap) (i32.const 4)))
    (local.set $mask (i32.sub (local.get $cap) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (global.get $size)))
        (local.set $at (i32.add (global.get $ents) (i32.mul (local.get $k) (i32.const 24))))
        (local.set $len (i32.load offset=4 (local.get $at)))
        (if (i32.le_u (local.get $len) (i32.const 8))
          (then
            ;; A short key's packed bytes, rolled as scan() rolls them (keys are stored folded).
            (local.set $key (i32.add (global.get $arena) (i32.load (local.get $at))))
            (local.set $lo (i32.const 0))
            (local.set $hi (i32.const 0))
            (local.set $j (i32.const 0))
            (block $rolled
              (loop $roll
                (br_if $rolled (i32.ge_u (local.get $j) (local.get $len)))
                (local.set $hi (i32.or (i32.shl (local.get $hi) (i32.const 8)) (i32.shr_u (local.get $lo) (i32.const 24))))
                (local.set $lo (i32.or (i32.shl (local.get $lo) (i32.const 8)) (i32.load8_u (i32.add (local.get $key) (local.get $j)))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $roll))))
          (else
            (local.set $lo (i32.load offset=8 (local.get $at)))
            (local.set $hi (i32.const -1))))
        (local.set $slot (i32.and (call $mix (i32.load offset=8 (local.get $at))) (local.get $mask)))
        (block $free
          (loop $probe
            (local.set $to (i32.add (global.get $slots) (i32.shl (local.get $slot) (i32.const 4))))
            (br_if $free (i32.eqz (i32.load offset=8 (local.get $to))))
            (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (local.get $mask)))
            (br $probe)))
        (i32.store (local.get $to) (local.get $lo))
        (i32.store offset=4 (local.get $to) (local.get $hi))
        (i32.store offset=8 (local.get $to) (i32.add (local.get $k) (i32.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next)))
    (global.set $slotCap (local.get $cap)))

  ;; Twice the slots in a new region above the reserves, moved slot by slot.
  (func $rehash (param $cap i32)
    (local $old i32) (local $oldEnd i32) (local $new i32) (local $mask i32) (local $slot i32) (local $to i32)
    (local.set $old (global.get $slots))
    (local.set $oldEnd (i32.add (local.get $old) (i32.shl (global.get $slotCap) (i32.const 4))))
    (local.set $new (call $alloc (i32.shl (local.get $cap) (i32.const 4))))
    (memory.fill (local.get $new) (i32.const 0) (i32.shl (local.get $cap) (i32.const 4)))
    (local.set $mask (i32.sub (local.get $cap) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $old) (local.get $oldEnd)))
        (if (i32.load offset=8 (local.get $old))
          (then
            (local.set $slot (i32.and (call $mix (call $slotHash (local.get $old))) (local.get $mask)))
            (block $free
              (loop $probe
                (local.set $to (i32.add (local.get $new) (i32.shl (local.get $slot) (i32.const 4))))
                (br_if $free (i32.eqz (i32.load offset=8 (local.get $to))))
                (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (local.get $mask)))
                (br $probe)))
            (memory.copy (local.get $to) (local.get $old) (i32.const 16))))
        (local.set $old (i32.add (local.get $old) (i32.const 16)))
        (br $next)))
    (global.set $slots (local.get $new))
    (global.set $slotCap (local.get $cap)))

  (func $insert (param $slotAt i32) (param $start i32) (param $end i32) (param $hash i32) (param $lo i32) (param $hi i32)
    (local $k i32) (local $bigger i32) (local $at i32) (local $wide i32) (local $j i32)
    (local.set $k (global.get $size))
    (if (i32.eq (local.get $k) (global.get $entCap))
      (then
        (local.set $bigger (call $alloc (i32.mul (global.get $entCap) (i32.const 48))))
        (memory.copy (local.get $bigger) (global.get $ents) (i32.mul (global.get $entCap) (i32.const 24)))
        (global.set $ents (local.get $bigger))
        (global.set $entCap (i32.shl (global.get $entCap) (i32.const 1)))))
    (local.set $at (i32.add (global.get $ents) (i32.mul (local.get $k) (i32.const 24))))
    (i32.store (local.get $at) (call $store (local.get $start) (i32.sub (local.get $end) (local.get $start))))
    (i32.store offset=4 (local.get $at) (i32.sub (local.get $end) (local.get $start)))
    (i32.store offset=8 (local.get $at) (local.get $hash))
    (local.set $j (local.get $start))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $end)))
        (if (i32.ge_u (i32.load8_u (local.get $j)) (i32.const 0x80)) (then (local.set $wide (i32.const 1))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next)))
    (i32.store offset=12 (local.get $at) (local.get $wide))
    (f64.store offset=16 (local.get $at) (f64.const 0))
    (i32.store (local.get $slotAt) (local.get $lo))
    (i32.store offset=4 (local.get $slotAt) (local.get $hi))
    (i32.store offset=8 (local.get $slotAt) (i32.add (local.get $k) (i32.const 1)))
    (i32.store offset=12 (local.get $slotAt) (i32.const 1))
    (global.set $size (i32.add (local.get $k) (i32.const 1)))
    ;; At most half full; then twice the slots.
    (if (i32.gt_u (i32.shl (global.get $size) (i32.const 1)) (global.get $slotCap))
      (then (call $grow))))

  ;; Counts one occurrence of the word [start, end); `lo`/`hi` are a short key's packed
  ;; bytes, or for a longer key its hash and -1 (never a short key's: 0xff is no UTF-8 byte).
  ;; The count stays in the slot, so a word found costs one cache line; one that wraps 2^32
  ;; moves 2^32 into its entry.
  (func $add (param $start i32) (param $end i32) (param $hash i32) (param $lo i32) (param $hi i32)
    (local $mask i32) (local $slot i32) (local $at i32) (local $e i32) (local $n i32)
    (local.set $mask (i32.sub (global.get $slotCap) (i32.const 1)))
    (local.set $slot (i32.and (call $mix (local.get $hash)) (local.get $mask)))
    (loop $probe
      (local.set $at (i32.add (global.get $slots) (i32.shl (local.get $slot) (i32.const 4))))
      (local.set $e (i32.load offset=8 (local.get $at)))
      (if (i32.eqz (local.get $e))
        (then
          (call $insert (local.get $at) (local.get $start) (local.get $end) (local.get $hash) (local.get $lo) (local.get $hi))
          (return)))
      (if (i32.and
            (i32.eq (i32.load (local.get $at)) (local.get $lo))
            (i32.eq (i32.load offset=4 (local.get $at)) (local.get $hi)))
        (then
          (if (if (result i32) (i32.ne (local.get $hi) (i32.const -1))
                (then (i32.const 1))
                (else (call $equals (i32.sub (local.get $e) (i32.const 1)) (local.get $start) (local.get $end))))
            (then
              (local.set $n (i32.add (i32.load offset=12 (local.get $at)) (i32.const 1)))
              (i32.store offset=12 (local.get $at) (local.get $n))
              (if (i32.eqz (local.get $n))
                (then
                  (local.set $at (i32.add (global.get $ents) (i32.mul (i32.sub (local.get $e) (i32.const 1)) (i32.const 24))))
                  (f64.store offset=16 (local.get $at) (f64.add (f64.load offset=16 (local.get $at)) (f64.const 4294967296)))))
              (return)))))
      (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (local.get $mask)))
      (br $probe)))

  ;; words-scan.wat
)
