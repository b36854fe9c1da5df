;; The scanner half of the word counter (words-counter.ts in WebAssembly): UTF-8 decoding,
;; word characters, and scan(), which finds each word and adds it to the table of words.wat.
;; Not a module of its own: scripts/build-wasm.mjs puts these functions into words.wat's
;; module where it says so, and compiles the whole.
  ;; utf8.ts decode(): `(length << 24) | cp`, minus the bytes that make one U+FFFD, or -16
  ;; (INCOMPLETE) when the input ends inside a sequence valid so far. `i` holds a byte >= 0x80.
  (func $decode (param $i i32) (param $n i32) (result i32)
    (local $b i32) (local $need i32) (local $cp i32) (local $lo i32) (local $hi i32) (local $p i32) (local $c i32)
    (local.set $b (i32.load8_u (local.get $i)))
    (local.set $lo (i32.const 0x80))
    (local.set $hi (i32.const 0xbf))
    (if (i32.and (i32.ge_u (local.get $b) (i32.const 0xc2)) (i32.le_u (local.get $b) (i32.const 0xdf)))
      (then
        (local.set $need (i32.const 1))
        (local.set $cp (i32.and (local.get $b) (i32.const 0x1f))))
      (else (if (i32.and (i32.ge_u (local.get $b) (i32.const 0xe0)) (i32.le_u (local.get $b) (i32.const 0xef)))
        (then
          (local.set $need (i32.const 2))
          (local.set $cp (i32.and (local.get $b) (i32.const 0x0f)))
          (if (i32.eq (local.get $b) (i32.const 0xe0)) (then (local.set $lo (i32.const 0xa0))))
          (if (i32.eq (local.get $b) (i32.const 0xed)) (then (local.set $hi (i32.const 0x9f)))))
        (else (if (i32.and (i32.ge_u (local.get $b) (i32.const 0xf0)) (i32.le_u (local.get $b) (i32.const 0xf4)))
          (then
            (local.set $need (i32.const 3))
            (local.set $cp (i32.and (local.get $b) (i32.const 0x07)))
            (if (i32.eq (local.get $b) (i32.const 0xf0)) (then (local.set $lo (i32.const 0x90))))
            (if (i32.eq (local.get $b) (i32.const 0xf4)) (then (local.set $hi (i32.const 0x8f)))))
          (else (return (i32.const -1))))))))
    (local.set $p (i32.add (local.get $i) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $need)))
        (if (i32.ge_u (local.get $p) (local.get $n)) (then (return (i32.const -16))))
        (local.set $c (i32.load8_u (local.get $p)))
        (if (i32.or (i32.lt_u (local.get $c) (local.get $lo)) (i32.gt_u (local.get $c) (local.get $hi)))
          (then (return (i32.sub (local.get $i) (local.get $p)))))
        (local.set $cp (i32.or (i32.shl (local.get $cp) (i32.const 6)) (i32.and (local.get $c) (i32.const 0x3f))))
        (local.set $lo (i32.const 0x80))
        (local.set $hi (i32.const 0xbf))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $need (i32.sub (local.get $need) (i32.const 1)))
        (br $next)))
    (i32.or (i32.shl (i32.sub (local.get $p) (local.get $i)) (i32.const 24)) (local.get $cp)))

  (func $isWord (param $cp i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $cp) (i32.const 0x10000))
      (then (i32.and
        (i32.shr_u (i32.load8_u offset=1024 (i32.shr_u (local.get $cp) (i32.const 3))) (i32.and (local.get $cp) (i32.const 7)))
        (i32.const 1)))
      (else (call $isAstralWord (local.get $cp)))))

  ;; Whether a word character starts at `j` (the input ends at `n`: no).
  (func $wordAt (param $j i32) (param $n i32) (result i32)
    (local $b i32) (local $d i32)
    (if (i32.ge_u (local.get $j) (local.get $n)) (then (return (i32.const 0))))
    (local.set $b (i32.load8_u (local.get $j)))
    (if (i32.lt_u (local.get $b) (i32.const 0x80)) (then (return (i32.ne (i32.load8_u (local.get $b)) (i32.const 0)))))
    (local.set $d (call $decode (local.get $j) (local.get $n)))
    (if (i32.le_s (local.get $d) (i32.const 0)) (then (return (i32.const 0))))
    (call $isWord (i32.and (local.get $d) (i32.const 0x1fffff))))

  ;; Counts the words of the complete text [i, n). Returns 0, or 1 when a word is longer
  ;; than `maxWord` bytes (the words before it are counted).
  (func (export "scan") (param $i i32) (param $n i32) (param $maxWord i32) (result i32)
    (local $b i32) (local $d i32) (local $start i32) (local $lo i32) (local $hi i32)
    (local $c i32) (local $f i32) (local $len i32) (local $k i32)
    (local $v v128) (local $l v128) (local $high i32) (local $wm i32)
    (block $finished
      (loop $between
        (br_if $finished (i32.ge_u (local.get $i) (local.get $n)))
        ;; Sixteen bytes at a time while they lie inside the input: separators skipped by
        ;; a mask, and a word of ASCII letters and digits ended inside the window by a byte that
        ;; ends every word (ASCII, not an apostrophe) counted at once, its short key gathered by
        ;; a swizzle; anything else (non-ASCII bytes, apostrophes, long words) takes the byte
        ;; loop below.
        (if (i32.le_u (i32.add (local.get $i) (i32.const 16)) (local.get $n))
          (then
            (local.set $v (v128.load (local.get $i)))
            (local.set $l (v128.or (local.get $v) (v128.const i8x16 32 32 32 32 32 32 32 32 32 32 32 32 32 32 32 32)))
            (local.set $high (i8x16.bitmask (local.get $v)))
            (local.set $wm (i8x16.bitmask (v128.or
              (i8x16.lt_u (i8x16.sub (local.get $l) (v128.const i8x16 97 97 97 97 97 97 97 97 97 97 97 97 97 97 97 97)) (v128.const i8x16 26 26 26 26 26 26 26 26 26 26 26 26 26 26 26 26))
              (i8x16.lt_u (i8x16.sub (local.get $v) (v128.const i8x16 48 48 48 48 48 48 48 48 48 48 48 48 48 48 48 48)) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10)))))
            (local.set $len (i32.ctz (i32.or (i32.or (local.get $wm) (local.get $high)) (i32.const 0x10000))))
            (if (local.get $len)
              (then
                (local.set $i (i32.add (local.get $i) (local.get $len)))
                (br $between)))
            (if (i32.eqz (i32.and (local.get $high) (i32.const 1)))
              (then
                (local.set $len (i32.ctz (i32.xor (local.get $wm) (i32.const -1))))
                (local.set $k (i32.add (local.get $i) (local.get $len)))
                (if (i32.and
                      (i32.lt_u (local.get $len) (i32.const 16))
                      (i32.and
                        (i32.eqz (i32.and (i32.shr_u (local.get $high) (local.get $len)) (i32.const 1)))
                        (i32.ne (i32.load8_u (local.get $k)) (i32.const 0x27))))
                  (then
                    (if (i32.gt_u (local.get $len) (local.get $maxWord)) (then (return (i32.const 1))))
                    (if (i32.le_u (local.get $len) (i32.const 8))
                      (then
                        (local.set $v (i8x16.swizzle (local.get $l) (v128.load offset=9216 (i32.shl (local.get $len) (i32.const 4)))))
                        (local.set $lo (i32x4.extract_lane 0 (local.get $v)))
                        (local.set $hi (i32x4.extract_lane 1 (local.get $v)))
                        (call $add (local.get $i) (local.get $k) (call $shortKeyHash (local.get $lo) (local.get $hi)) (local.get $lo) (local.get $hi)))
                      (else
                        (local.set $lo (call $longKeyHash (local.get $i) (local.get $k)))
                        (call $add (local.get $i) (local.get $k) (local.get $lo) (local.get $lo) (i32.const -1))))
                    ;; The byte after the word is a separator.
                    (local.set $i (i32.add (local.get $k) (i32.const 1)))
                    (br $between)))))))
        (local.set $b (i32.load8_u (local.get $i)))
        (if (i32.lt_u (local.get $b) (i32.const 0x80))
          (then
            (if (i32.eqz (i32.load8_u (local.get $b)))
              (then
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $between))))
          (else
            (local.set $d (call $decode (local.get $i) (local.get $n)))
            ;; A sequence cut off by the end of the input is one U+FFFD: a separator.
            (br_if $finished (i32.eq (local.get $d) (i32.const -16)))
            (if (i32.lt_s (local.get $d) (i32.const 0))
              (then
                (local.set $i (i32.sub (local.get $i) (local.get $d)))
                (br $between)))
            (if (i32.eqz (call $isWord (i32.and (local.get $d) (i32.const 0x1fffff))))
              (then
                (local.set $i (i32.add (local.get $i) (i32.shr_u (local.get $d) (i32.const 24))))
                (br $between)))))
        (local.set $start (local.get $i))
        (local.set $lo (i32.const 0))
        (local.set $hi (i32.const 0))
        (block $wordEnd
          (loop $inWord
            (br_if $wordEnd (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $c (i32.load8_u (local.get $i)))
            (local.set $f (i32.load8_u (local.get $c)))
            (if (local.get $f)
              (then
                (local.set $hi (i32.or (i32.shl (local.get $hi) (i32.const 8)) (i32.shr_u (local.get $lo) (i32.const 24))))
                (local.set $lo (i32.or (i32.shl (local.get $lo) (i32.const 8)) (local.get $f)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $inWord)))
            (block $apostrophe
              (if (i32.lt_u (local.get $c) (i32.const 0x80))
                (then
                  (br_if $wordEnd (i32.ne (local.get $c) (i32.const 0x27)))
                  (local.set $len (i32.const 1))
                  (br $apostrophe)))
              (local.set $d (call $decode (local.get $i) (local.get $n)))
              (br_if $wordEnd (i32.lt_s (local.get $d) (i32.const 0)))
              (local.set $len (i32.shr_u (local.get $d) (i32.const 24)))
              (if (i32.eqz (call $isWord (i32.and (local.get $d) (i32.const 0x1fffff))))
                (then
                  (br_if $wordEnd (i32.ne (i32.and (local.get $d) (i32.const 0x1fffff)) (i32.const 0x2019)))
                  (br $apostrophe)))
              ;; A non-ASCII word character: its bytes join the key as they are.
              (local.set $k (i32.add (local.get $i) (local.get $len)))
              (loop $roll
                (local.set $hi (i32.or (i32.shl (local.get $hi) (i32.const 8)) (i32.shr_u (local.get $lo) (i32.const 24))))
                (local.set $lo (i32.or (i32.shl (local.get $lo) (i32.const 8)) (i32.load8_u (local.get $i))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $roll (i32.lt_u (local.get $i) (local.get $k))))
              (br $inWord))
            ;; An apostrophe: part of the word only when a word character follows it.
            (br_if $wordEnd (i32.eqz (call $wordAt (i32.add (local.get $i) (local.get $len)) (local.get $n))))
            (local.set $k (i32.add (local.get $i) (local.get $len)))
            (loop $rollApostrophe
              (local.set $hi (i32.or (i32.shl (local.get $hi) (i32.const 8)) (i32.shr_u (local.get $lo) (i32.const 24))))
              (local.set $lo (i32.or (i32.shl (local.get $lo) (i32.const 8)) (i32.load8_u (local.get $i))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $rollApostrophe (i32.lt_u (local.get $i) (local.get $k))))
            (br $inWord)))
        (if (i32.gt_u (i32.sub (local.get $i) (local.get $start)) (local.get $maxWord)) (then (return (i32.const 1))))
        (if (i32.le_u (i32.sub (local.get $i) (local.get $start)) (i32.const 8))
          (then (call $add (local.get $start) (local.get $i) (call $shortKeyHash (local.get $lo) (local.get $hi)) (local.get $lo) (local.get $hi)))
          (else
            (local.set $lo (call $longKeyHash (local.get $start) (local.get $i)))
            (call $add (local.get $start) (local.get $i) (local.get $lo) (local.get $lo) (i32.const -1))))
        (br $between)))
    (i32.const 0))
