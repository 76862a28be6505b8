;; X @ W + b for a block of rows, two targets per f64x2 lane pair (WebAssembly SIMD), and
;; predict's labels from those scores. Compiled by scripts/build-wasm.mjs into
;; linear-scores-wasm.ts; linear-scores.ts is its caller and holds the JavaScript kernel this one
;; must equal bit for bit.
;;
;; Memory (byte offsets, all 16-byte aligned), laid out by the caller:
;;   w    (features, targets2) f64: w[j * targets2 + t] = coef[t][j]; targets2 is the target
;;        count rounded up to even, the extra column zero
;;   b    targets2 f64 intercepts (the extra one zero)
;;   x    (rows, features) f64, row-major
;;   out  (rows, targets2) f64
;;   table  targets f64 (argmax: the value written for each target index)
;;   pred   rows f64 (argmax's output)
;;
;; Each score is summed exactly as the JavaScript kernel sums it: s = 0, then s += x[j] * w[j]
;; for j = 0, 1, ... in feature order, then s + b: a multiply rounds, then an add rounds (no
;; fused multiply-add exists in this instruction set), lane by lane. Four rows and four targets
;; go side by side, so that eight independent sums hide the adder's latency and each x value
;; loaded serves four targets.
(module
  (memory (export "memory") 1)

  ;; Scores of `rows` rows into out. Returns 1 if each row's first two scores are finite, else 0:
  ;; a NaN or infinite x[j] makes every score of its row NaN or infinite (x[j] * w is, for any w,
  ;; zero included, and no later add brings a sum back), so 1 proves the block's x finite without
  ;; a pass of its own; 0 (an x that is not finite, or a sum that overflowed) asks the caller to
  ;; look at x itself (`finite`).
  (func (export "scores")
    (param $x i32) (param $rows i32) (param $features i32)
    (param $w i32) (param $targets2 i32) (param $b i32) (param $out i32) (result i32)
    (local $rb i32) (local $rb2 i32) (local $rb3 i32) (local $orb i32) (local $wrb i32)
    (local $i i32) (local $q i32) (local $xr i32) (local $xEnd i32) (local $wp i32) (local $op i32)
    (local $c0 v128) (local $c1 v128) (local $v v128) (local $bias0 v128) (local $bias1 v128) (local $fin v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $rb (i32.shl (local.get $features) (i32.const 3)))
    (local.set $rb2 (i32.shl (local.get $rb) (i32.const 1)))
    (local.set $rb3 (i32.add (local.get $rb2) (local.get $rb)))
    (local.set $wrb (i32.shl (local.get $targets2) (i32.const 3)))
    (local.set $orb (local.get $wrb))
    (local.set $fin (v128.const f64x2 0 0))
    (local.set $i (i32.const 0))
    ;; four rows at a time
    (block $done4
      (loop $rows4
        (br_if $done4 (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $rows)))
        (local.set $q (i32.const 0))
        ;; four targets (two lane pairs) at a time: eight sums
        (block $doneQ4
          (loop $quads
            (br_if $doneQ4 (i32.gt_s (i32.add (local.get $q) (i32.const 4)) (local.get $targets2)))
            (local.set $a0 (v128.const f64x2 0 0))
            (local.set $a1 (v128.const f64x2 0 0))
            (local.set $a2 (v128.const f64x2 0 0))
            (local.set $a3 (v128.const f64x2 0 0))
            (local.set $a4 (v128.const f64x2 0 0))
            (local.set $a5 (v128.const f64x2 0 0))
            (local.set $a6 (v128.const f64x2 0 0))
            (local.set $a7 (v128.const f64x2 0 0))
            (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rb))))
            (local.set $xEnd (i32.add (local.get $xr) (local.get $rb)))
            (local.set $wp (i32.add (local.get $w) (i32.shl (local.get $q) (i32.const 3))))
            (block $doneJ
              (loop $feat
                (br_if $doneJ (i32.ge_u (local.get $xr) (local.get $xEnd)))
                (local.set $c0 (v128.load (local.get $wp)))
                (local.set $c1 (v128.load offset=16 (local.get $wp)))
                (local.set $v (v128.load64_splat (local.get $xr)))
                (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $v) (local.get $c0))))
                (local.set $a4 (f64x2.add (local.get $a4) (f64x2.mul (local.get $v) (local.get $c1))))
                (local.set $v (v128.load64_splat (i32.add (local.get $xr) (local.get $rb))))
                (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $v) (local.get $c0))))
                (local.set $a5 (f64x2.add (local.get $a5) (f64x2.mul (local.get $v) (local.get $c1))))
                (local.set $v (v128.load64_splat (i32.add (local.get $xr) (local.get $rb2))))
                (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $v) (local.get $c0))))
                (local.set $a6 (f64x2.add (local.get $a6) (f64x2.mul (local.get $v) (local.get $c1))))
                (local.set $v (v128.load64_splat (i32.add (local.get $xr) (local.get $rb3))))
                (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $v) (local.get $c0))))
                (local.set $a7 (f64x2.add (local.get $a7) (f64x2.mul (local.get $v) (local.get $c1))))
                (local.set $xr (i32.add (local.get $xr) (i32.const 8)))
                (local.set $wp (i32.add (local.get $wp) (local.get $wrb)))
                (br $feat)))
            (local.set $bias0 (v128.load (i32.add (local.get $b) (i32.shl (local.get $q) (i32.const 3)))))
            (local.set $bias1 (v128.load offset=16 (i32.add (local.get $b) (i32.shl (local.get $q) (i32.const 3)))))
            (local.set $a0 (f64x2.add (local.get $a0) (local.get $bias0)))
            (local.set $a1 (f64x2.add (local.get $a1) (local.get $bias0)))
            (local.set $a2 (f64x2.add (local.get $a2) (local.get $bias0)))
            (local.set $a3 (f64x2.add (local.get $a3) (local.get $bias0)))
            (local.set $op (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $orb)))
              (i32.shl (local.get $q) (i32.const 3))))
            (v128.store (local.get $op) (local.get $a0))
            (v128.store offset=16 (local.get $op) (f64x2.add (local.get $a4) (local.get $bias1)))
            (local.set $op (i32.add (local.get $op) (local.get $orb)))
            (v128.store (local.get $op) (local.get $a1))
            (v128.store offset=16 (local.get $op) (f64x2.add (local.get $a5) (local.get $bias1)))
            (local.set $op (i32.add (local.get $op) (local.get $orb)))
            (v128.store (local.get $op) (local.get $a2))
            (v128.store offset=16 (local.get $op) (f64x2.add (local.get $a6) (local.get $bias1)))
            (local.set $op (i32.add (local.get $op) (local.get $orb)))
            (v128.store (local.get $op) (local.get $a3))
            (v128.store offset=16 (local.get $op) (f64x2.add (local.get $a7) (local.get $bias1)))
            (if (i32.eqz (local.get $q))
              (then
                (local.set $fin (f64x2.add (local.get $fin) (f64x2.add
                  (f64x2.add (f64x2.sub (local.get $a0) (local.get $a0)) (f64x2.sub (local.get $a1) (local.get $a1)))
                  (f64x2.add (f64x2.sub (local.get $a2) (local.get $a2)) (f64x2.sub (local.get $a3) (local.get $a3))))))))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (br $quads)))
        ;; the last two targets, if targets2 is not a multiple of four: four sums
        (if (i32.lt_s (local.get $q) (local.get $targets2))
          (then
            (local.set $a0 (v128.const f64x2 0 0))
            (local.set $a1 (v128.const f64x2 0 0))
            (local.set $a2 (v128.const f64x2 0 0))
            (local.set $a3 (v128.const f64x2 0 0))
            (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rb))))
            (local.set $xEnd (i32.add (local.get $xr) (local.get $rb)))
            (local.set $wp (i32.add (local.get $w) (i32.shl (local.get $q) (i32.const 3))))
            (block $doneJ2
              (loop $feat2
                (br_if $doneJ2 (i32.ge_u (local.get $xr) (local.get $xEnd)))
                (local.set $c0 (v128.load (local.get $wp)))
                (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (v128.load64_splat (local.get $xr)) (local.get $c0))))
                (local.set $a1 (f64x2.add (local.get $a1)
                  (f64x2.mul (v128.load64_splat (i32.add (local.get $xr) (local.get $rb))) (local.get $c0))))
                (local.set $a2 (f64x2.add (local.get $a2)
                  (f64x2.mul (v128.load64_splat (i32.add (local.get $xr) (local.get $rb2))) (local.get $c0))))
                (local.set $a3 (f64x2.add (local.get $a3)
                  (f64x2.mul (v128.load64_splat (i32.add (local.get $xr) (local.get $rb3))) (local.get $c0))))
                (local.set $xr (i32.add (local.get $xr) (i32.const 8)))
                (local.set $wp (i32.add (local.get $wp) (local.get $wrb)))
                (br $feat2)))
            (local.set $bias0 (v128.load (i32.add (local.get $b) (i32.shl (local.get $q) (i32.const 3)))))
            (local.set $a0 (f64x2.add (local.get $a0) (local.get $bias0)))
            (local.set $a1 (f64x2.add (local.get $a1) (local.get $bias0)))
            (local.set $a2 (f64x2.add (local.get $a2) (local.get $bias0)))
            (local.set $a3 (f64x2.add (local.get $a3) (local.get $bias0)))
            (local.set $op (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $orb)))
              (i32.shl (local.get $q) (i32.const 3))))
            (v128.store (local.get $op) (local.get $a0))
            (v128.store (i32.add (local.get $op) (local.get $orb)) (local.get $a1))
            (v128.store (i32.add (local.get $op) (i32.shl (local.get $orb) (i32.const 1))) (local.get $a2))
            (v128.store (i32.add (local.get $op) (i32.mul (local.get $orb) (i32.const 3))) (local.get $a3))
            (if (i32.eqz (local.get $q))
              (then
                (local.set $fin (f64x2.add (local.get $fin) (f64x2.add
                  (f64x2.add (f64x2.sub (local.get $a0) (local.get $a0)) (f64x2.sub (local.get $a1) (local.get $a1)))
                  (f64x2.add (f64x2.sub (local.get $a2) (local.get $a2)) (f64x2.sub (local.get $a3) (local.get $a3))))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows4)))
    ;; the last rows one at a time, a lane pair at a time
    (block $done1
      (loop $rows1
        (br_if $done1 (i32.ge_s (local.get $i) (local.get $rows)))
        (local.set $q (i32.const 0))
        (loop $pairs1
          (local.set $a0 (v128.const f64x2 0 0))
          (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rb))))
          (local.set $xEnd (i32.add (local.get $xr) (local.get $rb)))
          (local.set $wp (i32.add (local.get $w) (i32.shl (local.get $q) (i32.const 3))))
          (block $doneJ1
            (loop $feat1
              (br_if $doneJ1 (i32.ge_u (local.get $xr) (local.get $xEnd)))
              (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (v128.load64_splat (local.get $xr)) (v128.load (local.get $wp)))))
              (local.set $xr (i32.add (local.get $xr) (i32.const 8)))
              (local.set $wp (i32.add (local.get $wp) (local.get $wrb)))
              (br $feat1)))
          (local.set $a0 (f64x2.add (local.get $a0) (v128.load (i32.add (local.get $b) (i32.shl (local.get $q) (i32.const 3))))))
          (v128.store
            (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $orb))) (i32.shl (local.get $q) (i32.const 3)))
            (local.get $a0))
          (if (i32.eqz (local.get $q))
            (then (local.set $fin (f64x2.add (local.get $fin) (f64x2.sub (local.get $a0) (local.get $a0))))))
          (local.set $q (i32.add (local.get $q) (i32.const 2)))
          (br_if $pairs1 (i32.lt_s (local.get $q) (local.get $targets2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows1)))
    (f64.eq
      (f64.add (f64x2.extract_lane 0 (local.get $fin)) (f64x2.extract_lane 1 (local.get $fin)))
      (f64.const 0)))

  ;; pred[i] = table[numpy's argmax of row i's first `targets` scores]: the first maximum, or
  ;; the first NaN (numpy ranks NaN above every number); a single score picks table[score > 0].
  ;; Two rows go side by side, one per lane, and lane masks choose (bitselect): a branch on each
  ;; comparison would be mispredicted about every other row.
  (func (export "argmax")
    (param $out i32) (param $rows i32) (param $targets i32) (param $targets2 i32) (param $table i32) (param $pred i32)
    (local $orb i32) (local $i i32) (local $p i32) (local $tp i32) (local $tEnd i32)
    (local $best v128) (local $lab v128) (local $v v128) (local $take v128)
    (local.set $orb (i32.shl (local.get $targets2) (i32.const 3)))
    (local.set $tEnd (i32.add (local.get $table) (i32.shl (local.get $targets) (i32.const 3))))
    (local.set $i (i32.const 0))
    ;; rows i and i + 1 (the second lane repeats row i for a last odd row, and is not stored)
    (block $done
      (loop $row2
        (br_if $done (i32.ge_s (local.get $i) (local.get $rows)))
        (local.set $p (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $orb))))
        (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $rows))
          (then (local.set $best (v128.load64_lane 1 (i32.add (local.get $p) (local.get $orb)) (v128.load64_splat (local.get $p)))))
          (else (local.set $best (v128.load64_splat (local.get $p)))))
        (if (i32.eq (local.get $targets) (i32.const 1))
          (then
            (local.set $lab (v128.bitselect
              (v128.load64_splat offset=8 (local.get $table))
              (v128.load64_splat (local.get $table))
              (f64x2.gt (local.get $best) (v128.const f64x2 0 0)))))
          (else
            (local.set $lab (v128.load64_splat (local.get $table)))
            (local.set $tp (i32.add (local.get $table) (i32.const 8)))
            (block $doneT
              (loop $target
                (br_if $doneT (i32.ge_u (local.get $tp) (local.get $tEnd)))
                (local.set $p (i32.add (local.get $p) (i32.const 8)))
                (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $rows))
                  (then (local.set $v (v128.load64_lane 1 (i32.add (local.get $p) (local.get $orb)) (v128.load64_splat (local.get $p)))))
                  (else (local.set $v (v128.load64_splat (local.get $p)))))
                (local.set $take (v128.or (f64x2.gt (local.get $v) (local.get $best))
                  (v128.and (f64x2.ne (local.get $v) (local.get $v)) (f64x2.eq (local.get $best) (local.get $best)))))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $take)))
                (local.set $lab (v128.bitselect (v128.load64_splat (local.get $tp)) (local.get $lab) (local.get $take)))
                (local.set $tp (i32.add (local.get $tp) (i32.const 8)))
                (br $target)))))
        (local.set $p (i32.add (local.get $pred) (i32.shl (local.get $i) (i32.const 3))))
        (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $rows))
          (then (v128.store (local.get $p) (local.get $lab)))
          (else (v128.store64_lane 0 (local.get $p) (local.get $lab))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $row2))))

  ;; 1 if the n f64 values at x are all finite, else 0: v - v is 0 for a finite v and NaN for NaN
  ;; and +-infinity, and a NaN stays in the sums. Four values per step in two independent sums.
  (func (export "finite") (param $x i32) (param $n i32) (result i32)
    (local $end i32) (local $a v128) (local $b v128) (local $v v128) (local $s f64)
    (local.set $a (v128.const f64x2 0 0))
    (local.set $b (v128.const f64x2 0 0))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 3))))
    (block $done4
      (loop $four
        (br_if $done4 (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $v (v128.load (local.get $x)))
        (local.set $a (f64x2.add (local.get $a) (f64x2.sub (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=16 (local.get $x)))
        (local.set $b (f64x2.add (local.get $b) (f64x2.sub (local.get $v) (local.get $v))))
        (local.set $x (i32.add (local.get $x) (i32.const 32)))
        (br $four)))
    (local.set $a (f64x2.add (local.get $a) (local.get $b)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a))))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 3))))
    (block $done1
      (loop $one
        (br_if $done1 (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $s (f64.add (local.get $s) (f64.sub (f64.load (local.get $x)) (f64.load (local.get $x)))))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (br $one)))
    (f64.eq (local.get $s) (f64.const 0))))
