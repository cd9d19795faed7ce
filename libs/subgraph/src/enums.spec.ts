import { enumValues } from './enums';

describe('enumValues', () => {
  it('maps each upper-case GraphQL value to its internal value', () => {
    expect(enumValues(['booked', 'checked_in'])).toEqual({ BOOKED: 'booked', CHECKED_IN: 'checked_in' });
  });
});
