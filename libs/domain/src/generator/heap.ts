/** A binary min-heap. Ties keep insertion order, which keeps generated streams deterministic. */
export class MinHeap<T> {
  private readonly items: { key: number; order: number; value: T }[] = [];
  private counter = 0;

  get size(): number {
    return this.items.length;
  }

  push(key: number, value: T): void {
    this.items.push({ key, order: this.counter++, value });
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  peekKey(): number | undefined {
    return this.items[0]?.key;
  }

  pop(): T | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (top === undefined || last === undefined) return undefined;
    if (this.items.length > 0) {
      this.items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < this.items.length && this.less(l, smallest)) smallest = l;
        if (r < this.items.length && this.less(r, smallest)) smallest = r;
        if (smallest === i) break;
        this.swap(i, smallest);
        i = smallest;
      }
    }
    return top.value;
  }

  private less(i: number, j: number): boolean {
    const a = this.items[i] as { key: number; order: number };
    const b = this.items[j] as { key: number; order: number };
    return a.key < b.key || (a.key === b.key && a.order < b.order);
  }

  private swap(i: number, j: number): void {
    const t = this.items[i] as (typeof this.items)[number];
    this.items[i] = this.items[j] as (typeof this.items)[number];
    this.items[j] = t;
  }
}
