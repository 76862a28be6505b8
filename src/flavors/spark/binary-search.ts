/** Java's Arrays.binarySearch on doubles: the index found, else -(insertion point) - 1. */
export function javaBinarySearch(a: readonly number[], key: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < key) lo = mid + 1;
    else if (a[mid] > key) hi = mid - 1;
    else return mid;
  }
  return -(lo + 1);
}
