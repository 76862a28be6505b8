;; X @ W + b for a block of rows, two targets per f64x2 lane pair (WebAssembly SIMD).
;; Compiled by scripts/build-wasm.ts into linear-scores-wasm.ts; linear-scores.ts is its caller
;; and holds the JavaScript kernel this one must equal bit for bit.
;;
;; `finite` tells whether a copied block holds only finite values (sklearn's check_array), and
;; `argmax` turns a block's scores into predict's labels without a branch per row.
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
;; fused multiply-add exists in this instruction set), lane by lane. Four rows go side by side
;; so that four independent sums hide the adder's latency.
(module
  (memory (export "memory") 1)

  (func (export "scores")
    (param $x i32) (param $rows i32) (param $features i32)
    (param $w i32) (param $targets2 i32) (param $b i32) (param $out i32)
    (local $rowBytes i32) (local $outRowBytes i32) (local $wRowBytes i32)
    (local $i i32) (local $q i32) (local $j i32)
    (local $xr i32) (local $wp i32) (local $wEnd i32) (local $op i32)
    (local $c v128) (local $bias v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $rowBytes (i32.shl (local.get $features) (i32.const 3)))
    (local.set $wRowBytes (i32.shl (local.get $targets2) (i32.const 3)))
    (local.set $outRowBytes (local.get $wRowBytes))
    (local.set $i (i32.const 0))
    ;; four rows at a time
    (block $done4
      (loop $rows4
        (br_if $done4 (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $rows)))
        (local.set $q (i32.const 0))
        (loop $pairs
          (local.set $a0 (v128.const f64x2 0 0))
          (local.set $a1 (v128.const f64x2 0 0))
          (local.set $a2 (v128.const f64x2 0 0))
          (local.set $a3 (v128.const f64x2 0 0))
          (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
          (local.set $wp (i32.add (local.get $w) (i32.shl (local.get $q) (i32.const 3))))
          (local.set $j (i32.const 0))
          (block $doneJ
            (loop $feat
              (br_if $doneJ (i32.ge_s (local.get $j) (local.get $features)))
              (local.set $c (v128.load (local.get $wp)))
              (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (v128.load64_splat (local.get $xr)) (local.get $c))))
              (local.set $a1 (f64x2.add (local.get $a1)
                (f64x2.mul (v128.load64_splat (i32.add (local.get $xr) (local.get $rowBytes))) (local.get $c))))
              (local.set $a2 (f64x2.add (local.get $a2)
                (f64x2.mul (v128.load64_splat (i32.add (local.get $xr) (i32.shl (local.get $rowBytes) (i32.const 1)))) (local.get $c))))
              (local.set $a3 (f64x2.add (local.get $a3)
                (f64x2.mul (v128.load64_splat (i32.add (local.get $xr) (i32.mul (local.get $rowBytes) (i32.const 3)))) (local.get $c))))
              (local.set $xr (i32.add (local.get $xr) (i32.const 8)))
              (local.set $wp (i32.add (local.get $wp) (local.get $wRowBytes)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $feat)))
          (local.set $bias (v128.load (i32.add (local.get $b) (i32.shl (local.get $q) (i32.const 3)))))
          (local.set $op (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $outRowBytes)))
            (i32.shl (local.get $q) (i32.const 3))))
          (v128.store (local.get $op) (f64x2.add (local.get $a0) (local.get $bias)))
          (v128.store (i32.add (local.get $op) (local.get $outRowBytes)) (f64x2.add (local.get $a1) (local.get $bias)))
          (v128.store (i32.add (local.get $op) (i32.shl (local.get $outRowBytes) (i32.const 1))) (f64x2.add (local.get $a2) (local.get $bias)))
          (v128.store (i32.add (local.get $op) (i32.mul (local.get $outRowBytes) (i32.const 3))) (f64x2.add (local.get $a3) (local.get $bias)))
          (local.set $q (i32.add (local.get $q) (i32.const 2)))
          (br_if $pairs (i32.lt_s (local.get $q) (local.get $targets2))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows4)))
    ;; the last rows one at a time
    (block $done1
      (loop $rows1
        (br_if $done1 (i32.ge_s (local.get $i) (local.get $rows)))
        (local.set $q (i32.const 0))
        (loop $pairs1
          (local.set $a0 (v128.const f64x2 0 0))
          (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
          (local.set $wp (i32.add (local.get $w) (i32.shl (local.get $q) (i32.const 3))))
          (local.set $j (i32.const 0))
          (block $doneJ1
            (loop $feat1
              (br_if $doneJ1 (i32.ge_s (local.get $j) (local.get $features)))
              (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (v128.load64_splat (local.get $xr)) (v128.load (local.get $wp)))))
              (local.set $xr (i32.add (local.get $xr) (i32.const 8)))
              (local.set $wp (i32.add (local.get $wp) (local.get $wRowBytes)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $feat1)))
          (v128.store
            (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $outRowBytes))) (i32.shl (local.get $q) (i32.const 3)))
            (f64x2.add (local.get $a0) (v128.load (i32.add (local.get $b) (i32.shl (local.get $q) (i32.const 3))))))
          (local.set $q (i32.add (local.get $q) (i32.const 2)))
          (br_if $pairs1 (i32.lt_s (local.get $q) (local.get $targets2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows1))))

  ;; pred[i] = table[numpy's argmax of row i's first `targets` scores]: the first maximum, or
  ;; the first NaN (numpy ranks NaN above every number); a single score picks table[score > 0].
  (func (export "argmax")
    (param $out i32) (param $rows i32) (param $targets i32) (param $targets2 i32) (param $table i32) (param $pred i32)
    (local $i i32) (local $t i32) (local $p i32) (local $best i32) (local $take i32)
    (local $bs f64) (local $v f64)
    (local.set $i (i32.const 0))
    (block $done
      (loop $row
        (br_if $done (i32.ge_s (local.get $i) (local.get $rows)))
        (local.set $p (i32.add (local.get $out) (i32.shl (i32.mul (local.get $i) (local.get $targets2)) (i32.const 3))))
        (local.set $bs (f64.load (local.get $p)))
        (if (i32.eq (local.get $targets) (i32.const 1))
          (then (local.set $best (f64.gt (local.get $bs) (f64.const 0))))
          (else
            (local.set $best (i32.const 0))
            (local.set $t (i32.const 1))
            (block $doneT
              (loop $target
                (br_if $doneT (i32.ge_s (local.get $t) (local.get $targets)))
                (local.set $v (f64.load (i32.add (local.get $p) (i32.shl (local.get $t) (i32.const 3)))))
                (local.set $take (i32.or (f64.gt (local.get $v) (local.get $bs))
                  (i32.and (f64.ne (local.get $v) (local.get $v)) (f64.eq (local.get $bs) (local.get $bs)))))
                (local.set $bs (select (local.get $v) (local.get $bs) (local.get $take)))
                (local.set $best (select (local.get $t) (local.get $best) (local.get $take)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $target)))))
        (f64.store (i32.add (local.get $pred) (i32.shl (local.get $i) (i32.const 3)))
          (f64.load (i32.add (local.get $table) (i32.shl (local.get $best) (i32.const 3)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

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
