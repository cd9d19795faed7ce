import { partitionLag } from './lag';

describe('partitionLag', () => {
  it('is the high watermark minus the committed offset', () => {
    expect(partitionLag('120', '0', '100')).toBe(20);
    expect(partitionLag('120', '0', '120')).toBe(0);
  });

  it('counts from the low watermark when the group committed nothing (-1) or its offset fell off the log', () => {
    expect(partitionLag('120', '0', '-1')).toBe(120);
    expect(partitionLag('120', '50', '-1')).toBe(70);
    expect(partitionLag('120', '50', '10')).toBe(70);
  });

  it('is never negative', () => {
    expect(partitionLag('5', '0', '9')).toBe(0);
  });
});
