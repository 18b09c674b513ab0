/** Workflows and helpers the console tests share: a faulting checkout, an hour-long wait, a rich diagram. */
export const checkoutYaml = `document:
  dsl: 1.0.0
  namespace: shop
  name: checkout
  version: 1.0.0
  title: Checkout
do:
  - validate:
      set:
        ok: true
  - charge:
      raise:
        error:
          type: https://example.com/errors/payment-declined
          status: 402
          title: Payment declined
          detail: the card was declined
`;

export const napYaml = `document:
  dsl: 1.0.0
  namespace: shop
  name: nap
  version: 1.0.0
do:
  - prepare:
      set:
        ready: true
  - sleep:
      wait: PT1H
`;

export const orderYaml = `document:
  dsl: 1.0.0
  namespace: shop
  name: order
  version: 2.1.0
  summary: Every construct the diagram draws.
schedule:
  every: PT1H
do:
  - route:
      switch:
        - express:
            when: \${ .express == true }
            then: ship
        - standard:
            then: continue
  - reserve:
      for:
        each: item
        in: \${ .items }
      do:
        - hold:
            set:
              held: \${ $item }
  - pay:
      try:
        - charge:
            set:
              paid: true
      catch:
        errors:
          with:
            type: https://serverlessworkflow.io/spec/1.0.0/errors/communication
        do:
          - refund:
              set:
                refunded: true
  - ship:
      fork:
        branches:
          - label:
              set:
                label: printed
          - notify:
              wait: PT1S
  - done:
      set:
        finished: true
      then: end
`;

/** The cookie a response sets, as a `Cookie` request header value. */
export function cookieFrom(res: Response): string {
  const set = res.headers.get('set-cookie') ?? '';
  return set.split(';')[0];
}

export function csrfFrom(page: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1];
}
