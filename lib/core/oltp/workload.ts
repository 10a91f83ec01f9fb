/**
 * The marketplace's own write path, as a workload: business transactions against the marketplace database
 * (sign up, list an item, change its price, bid, close an auction, close an account), each writing its
 * change and the event that reports it to the outbox in one transaction. An event exists if and only if
 * its change committed; a transaction that breaks a business rule rolls back whole.
 */
import type { EntryAcceptor } from '../bus/put-events.js';
import { SOURCES } from '../events/catalogue.js';
import { Prng } from '../generator/prng.js';
import { systemClock, type Clock } from '../ports.js';
import { EltError } from '../util/errors.js';
import { insertOutboxEvent, oltpEntryAcceptor } from './outbox.js';
import type { OltpDatabase, OltpSql } from './ports.js';

/** The business transactions of the marketplace. */
export const OLTP_TRANSACTION_KINDS = [
  'signUp',
  'listItem',
  'changePrice',
  'placeBid',
  'closeAuction',
  'closeAccount',
] as const;

export type OltpTransactionKind = (typeof OLTP_TRANSACTION_KINDS)[number];

export type Currency = 'USD' | 'EUR' | 'GBP';
export type Category = 'art' | 'books' | 'electronics' | 'fashion' | 'home' | 'toys';
export type Channel = 'web' | 'ios' | 'android';
export type AccountClosedReason = 'user_request' | 'inactivity' | 'policy_violation';

/** A transaction broke a business rule (a bid too low, an auction already closed): it was rolled back. */
export class BusinessRuleError extends EltError {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

/** A seed the workload already ran against this database: its ids would collide. */
export class WorkloadSeedUsedError extends EltError {
  constructor(seed: string, database: string) {
    super(
      `the workload with seed ${JSON.stringify(seed)} already wrote to ${database}: its ids would repeat; use another seed`,
    );
  }
}

export interface SignUpInput {
  readonly userId: string;
  readonly displayName: string;
  readonly email: string;
  readonly country: string;
  readonly channel: Channel;
  readonly referrer?: string | null;
}

export interface ListItemInput {
  readonly itemId: string;
  readonly sellerId: string;
  readonly title: string;
  readonly category: Category;
  readonly startingPriceMinor: number;
  readonly currency: Currency;
}

export interface ChangePriceInput {
  readonly itemId: string;
  /** The acting user: must be the seller. */
  readonly userId: string;
  readonly newPriceMinor: number;
}

export interface PlaceBidInput {
  readonly bidId: string;
  readonly itemId: string;
  readonly bidderId: string;
  readonly sessionId: string;
  readonly amountMinor: number;
}

export interface CloseAuctionInput {
  readonly itemId: string;
}

export interface CloseAccountInput {
  readonly userId: string;
  readonly reason: AccountClosedReason;
}

/** What a placed bid changed. */
export interface PlacedBid {
  readonly bidId: string;
  readonly itemId: string;
  readonly amountMinor: number;
  readonly currency: Currency;
  readonly placedAt: Date;
}

/** How an auction ended. */
export interface ClosedAuction {
  readonly itemId: string;
  readonly sellerId: string;
  readonly winningBidId: string | null;
  readonly finalPriceMinor: number | null;
  readonly bidCount: number;
}

/** Options of {@link OltpWorkload}. */
export interface OltpWorkloadOptions {
  /** The business time of each transaction (read once per transaction, after its locks). @default systemClock */
  readonly clock?: Clock;
  /** Builds the outbox envelopes. @default the acceptor of OLTP_BUS_CONTEXT */
  readonly acceptor?: EntryAcceptor;
}

interface ItemRow {
  seller_id: string;
  price_minor: number;
  currency: Currency;
  status: 'open' | 'closed';
  deleted_at: Date | null;
}

const SELECT_ITEM_FOR_UPDATE =
  'SELECT seller_id, price_minor, currency, status, deleted_at FROM items WHERE item_id = $1 FOR UPDATE';

/**
 * The marketplace's business transactions. Each runs in one transaction of `db`: locks first (users before
 * items, so concurrent transactions cannot deadlock), then the business time from the clock, then the
 * change with `updated_at` = that time, then its outbox row(s). A broken rule throws
 * {@link BusinessRuleError} and the transaction rolls back whole.
 */
export class OltpWorkload {
  private readonly clock: Clock;
  private readonly acceptor: EntryAcceptor;

  constructor(
    private readonly db: OltpDatabase,
    options: OltpWorkloadOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.acceptor = options.acceptor ?? oltpEntryAcceptor();
  }

  /** A visitor creates an account: a user row and UserSignedUp. */
  async signUp(input: SignUpInput): Promise<{ userId: string; signedUpAt: Date }> {
    return this.db.transaction(async (tx) => {
      const at = this.clock.now();
      const taken = await tx.query('SELECT 1 FROM users WHERE email = $1', [input.email]);
      if (taken.rows.length > 0) throw new BusinessRuleError('email-taken', 'the e-mail address is taken');
      await tx.query(
        [
          'INSERT INTO users (user_id, display_name, email, country, channel, signed_up_at, updated_at)',
          'VALUES ($1, $2, $3, $4, $5, $6, $6)',
        ].join(' '),
        [input.userId, input.displayName, input.email, input.country, input.channel, at.toISOString()],
      );
      await this.event(tx, SOURCES.users, 'UserSignedUp', at, 'user', input.userId, {
        userId: input.userId,
        displayName: input.displayName,
        country: input.country,
        channel: input.channel,
        referrer: input.referrer ?? null,
      });
      return { userId: input.userId, signedUpAt: at };
    });
  }

  /** A seller lists an item for auction: an open item at its starting price and ItemListed. */
  async listItem(input: ListItemInput): Promise<{ itemId: string; listedAt: Date }> {
    return this.db.transaction(async (tx) => {
      await this.lockActiveUser(tx, input.sellerId, 'seller');
      const at = this.clock.now();
      await tx.query(
        [
          'INSERT INTO items (item_id, seller_id, title, category, starting_price_minor, price_minor, currency,',
          "status, listed_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5, $6, 'open', $7, $7)",
        ].join(' '),
        [
          input.itemId,
          input.sellerId,
          input.title,
          input.category,
          input.startingPriceMinor,
          input.currency,
          at.toISOString(),
        ],
      );
      await this.event(tx, SOURCES.auctions, 'ItemListed', at, 'item', input.itemId, {
        userId: input.sellerId,
        itemId: input.itemId,
        title: input.title,
        category: input.category,
        startingPriceMinor: input.startingPriceMinor,
        currency: input.currency,
      });
      return { itemId: input.itemId, listedAt: at };
    });
  }

  /** The seller changes the price of an open item that has no bid yet: ItemPriceChanged. */
  async changePrice(input: ChangePriceInput): Promise<{ oldPriceMinor: number; newPriceMinor: number }> {
    return this.db.transaction(async (tx) => {
      const item = await this.lockOpenItem(tx, input.itemId);
      if (item.seller_id !== input.userId) {
        throw new BusinessRuleError('not-seller', `only the seller may change the price of ${input.itemId}`);
      }
      const bids = await tx.query('SELECT 1 FROM bids WHERE item_id = $1 LIMIT 1', [input.itemId]);
      if (bids.rows.length > 0) {
        throw new BusinessRuleError('has-bids', `${input.itemId} has bids: its price is theirs now`);
      }
      if (item.price_minor === input.newPriceMinor) {
        throw new BusinessRuleError('same-price', `${input.itemId} already has that price`);
      }
      const at = this.clock.now();
      await tx.query('UPDATE items SET price_minor = $2, updated_at = $3 WHERE item_id = $1', [
        input.itemId,
        input.newPriceMinor,
        at.toISOString(),
      ]);
      await this.event(tx, SOURCES.auctions, 'ItemPriceChanged', at, 'item', input.itemId, {
        userId: input.userId,
        itemId: input.itemId,
        oldPriceMinor: item.price_minor,
        newPriceMinor: input.newPriceMinor,
        currency: item.currency,
      });
      return { oldPriceMinor: item.price_minor, newPriceMinor: input.newPriceMinor };
    });
  }

  /**
   * A user bids on an open item of someone else: the bid must exceed the item's current price, which it
   * becomes. The item row is locked (FOR UPDATE) before the price is read, so concurrent bids on one item
   * take turns, and the business time is read after the lock: bids of an item rise with their time.
   */
  async placeBid(input: PlaceBidInput): Promise<PlacedBid> {
    return this.db.transaction(async (tx) => {
      await this.lockActiveUser(tx, input.bidderId, 'bidder');
      const item = await this.lockOpenItem(tx, input.itemId);
      if (item.seller_id === input.bidderId) {
        throw new BusinessRuleError('own-item', `the seller of ${input.itemId} cannot bid on it`);
      }
      if (!(input.amountMinor > item.price_minor)) {
        throw new BusinessRuleError(
          'bid-too-low',
          `a bid on ${input.itemId} must exceed its current price of ${item.price_minor} ${item.currency} minor units`,
        );
      }
      const at = this.clock.now();
      const iso = at.toISOString();
      await tx.query(
        [
          'INSERT INTO bids (bid_id, item_id, bidder_id, session_id, amount_minor, currency, placed_at, updated_at)',
          'VALUES ($1, $2, $3, $4, $5, $6, $7, $7)',
        ].join(' '),
        [input.bidId, input.itemId, input.bidderId, input.sessionId, input.amountMinor, item.currency, iso],
      );
      await tx.query('UPDATE items SET price_minor = $2, updated_at = $3 WHERE item_id = $1', [
        input.itemId,
        input.amountMinor,
        iso,
      ]);
      await this.event(tx, SOURCES.auctions, 'BidCreated', at, 'item', input.itemId, {
        userId: input.bidderId,
        sessionId: input.sessionId,
        itemId: input.itemId,
        amountMinor: input.amountMinor,
        currency: item.currency,
        bidId: input.bidId,
      });
      return {
        bidId: input.bidId,
        itemId: input.itemId,
        amountMinor: input.amountMinor,
        currency: item.currency,
        placedAt: at,
      };
    });
  }

  /** The auction of an open item ends: the highest bid wins (none without bids). AuctionClosed. */
  async closeAuction(input: CloseAuctionInput): Promise<ClosedAuction> {
    return this.db.transaction(async (tx) => {
      const item = await this.lockOpenItem(tx, input.itemId);
      const at = this.clock.now();
      return this.closeItem(tx, input.itemId, item, at, 'ended');
    });
  }

  /**
   * A user closes their account: the user is marked deleted (kept, for history) and their open auctions
   * close without a sale, in the same transaction. UserAccountClosed, and AuctionClosed per closed item.
   */
  async closeAccount(input: CloseAccountInput): Promise<{ userId: string; closedItemIds: string[] }> {
    return this.db.transaction(async (tx) => {
      // NO KEY UPDATE, as the UPDATE below takes: bids and items referencing the user still lock it KEY SHARE.
      await this.lockActiveUser(tx, input.userId, 'user', 'FOR NO KEY UPDATE');
      const open = await tx.query<ItemRow & { item_id: string }>(
        [
          'SELECT item_id, seller_id, price_minor, currency, status, deleted_at FROM items',
          "WHERE seller_id = $1 AND status = 'open' ORDER BY item_id FOR UPDATE",
        ].join(' '),
        [input.userId],
      );
      const at = this.clock.now();
      await tx.query('UPDATE users SET deleted_at = $2, updated_at = $2 WHERE user_id = $1', [
        input.userId,
        at.toISOString(),
      ]);
      for (const item of open.rows) await this.closeItem(tx, item.item_id, item, at, 'seller_account_closed');
      await this.event(tx, SOURCES.users, 'UserAccountClosed', at, 'user', input.userId, {
        userId: input.userId,
        reason: input.reason,
        closedItemCount: open.rows.length,
      });
      return { userId: input.userId, closedItemIds: open.rows.map((r) => r.item_id) };
    });
  }

  private async closeItem(
    tx: OltpSql,
    itemId: string,
    item: ItemRow,
    at: Date,
    reason: 'ended' | 'seller_account_closed',
  ): Promise<ClosedAuction> {
    const top = await tx.query<{ bid_id: string; amount_minor: number; n: number }>(
      [
        'SELECT bid_id, amount_minor, count(*) OVER () AS n FROM bids WHERE item_id = $1',
        'ORDER BY amount_minor DESC, bid_id LIMIT 1',
      ].join(' '),
      [itemId],
    );
    const best = top.rows[0];
    const winner = reason === 'ended' && best ? best : undefined;
    await tx.query(
      "UPDATE items SET status = 'closed', winning_bid_id = $2, closed_at = $3, updated_at = $3 WHERE item_id = $1",
      [itemId, winner?.bid_id ?? null, at.toISOString()],
    );
    const closed: ClosedAuction = {
      itemId,
      sellerId: item.seller_id,
      winningBidId: winner?.bid_id ?? null,
      finalPriceMinor: winner?.amount_minor ?? null,
      bidCount: best?.n ?? 0,
    };
    await this.event(tx, SOURCES.auctions, 'AuctionClosed', at, 'item', itemId, {
      userId: item.seller_id,
      itemId,
      winningBidId: closed.winningBidId,
      finalPriceMinor: closed.finalPriceMinor,
      currency: item.currency,
      bidCount: closed.bidCount,
      reason,
    });
    return closed;
  }

  private async lockActiveUser(
    tx: OltpSql,
    userId: string,
    role: string,
    lock: 'FOR SHARE' | 'FOR NO KEY UPDATE' = 'FOR SHARE',
  ): Promise<void> {
    const { rows } = await tx.query<{ deleted_at: Date | null }>(
      `SELECT deleted_at FROM users WHERE user_id = $1 ${lock}`,
      [userId],
    );
    if (rows.length === 0) throw new BusinessRuleError('no-user', `the ${role} ${userId} does not exist`);
    if (rows[0]!.deleted_at !== null) {
      throw new BusinessRuleError('user-closed', `the ${role} ${userId} closed their account`);
    }
  }

  private async lockOpenItem(tx: OltpSql, itemId: string): Promise<ItemRow> {
    const { rows } = await tx.query<ItemRow>(SELECT_ITEM_FOR_UPDATE, [itemId]);
    const item = rows[0];
    if (!item || item.deleted_at !== null) {
      throw new BusinessRuleError('no-item', `the item ${itemId} does not exist`);
    }
    if (item.status !== 'open')
      throw new BusinessRuleError('item-closed', `the auction of ${itemId} is closed`);
    return item;
  }

  private async event(
    tx: OltpSql,
    source: string,
    detailType: string,
    time: Date,
    aggregateType: 'user' | 'item',
    aggregateId: string,
    detail: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    await insertOutboxEvent(
      tx,
      { source, detailType, detail, time, aggregateType, aggregateId },
      this.acceptor,
    );
  }
}

/** Progress of {@link runWorkload}, after each transaction. */
export interface WorkloadProgress {
  readonly done: number;
  readonly total: number;
  readonly committed: number;
  readonly rejected: number;
}

/** Options of {@link runWorkload}. */
export interface RunWorkloadOptions {
  /** Business transactions to attempt (committed and rejected together). */
  readonly transactions: number;
  /** The same seed gives the same mix, ids and values (and, one at a time, the same outcomes). */
  readonly seed: string | number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Transactions in flight at once (PostgreSQL runs them in parallel; PGlite one after another). @default 1 */
  readonly concurrency?: number;
  readonly onProgress?: (progress: WorkloadProgress) => void;
}

/** What {@link runWorkload} did. */
export interface WorkloadResult {
  readonly transactions: number;
  /** Committed transactions per kind. */
  readonly committed: Readonly<Record<OltpTransactionKind, number>>;
  /** Transactions rolled back for a business rule, per kind. */
  readonly rejected: Readonly<Record<OltpTransactionKind, number>>;
  /** Rejections per rule (`bid-too-low`, `item-closed`, …). */
  readonly rejectedByRule: Readonly<Record<string, number>>;
  /** Outbox rows the committed transactions wrote (closing an account writes one per closed item too). */
  readonly outboxRows: number;
}

/** The driver's picture of the database: enough to choose realistic transactions. */
interface ModelItem {
  readonly itemId: string;
  readonly sellerId: string;
  readonly currency: Currency;
  price: number;
  bids: number;
}

type Planned =
  | { readonly kind: 'signUp'; readonly input: SignUpInput }
  | { readonly kind: 'listItem'; readonly input: ListItemInput }
  | { readonly kind: 'changePrice'; readonly input: ChangePriceInput }
  | { readonly kind: 'placeBid'; readonly input: PlaceBidInput }
  | { readonly kind: 'closeAuction'; readonly input: CloseAuctionInput }
  | { readonly kind: 'closeAccount'; readonly input: CloseAccountInput };

/** The mix of a marketplace day: mostly bids, some listings and sign-ups, few price changes and closures. */
const MIX: readonly (readonly [OltpTransactionKind, number])[] = [
  ['signUp', 10],
  ['listItem', 12],
  ['changePrice', 3],
  ['placeBid', 62],
  ['closeAuction', 11],
  ['closeAccount', 2],
];

const NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Linus', 'Hedy', 'Tim'];
const COUNTRIES = ['GB', 'DE', 'FR', 'US', 'ES', 'IT', 'NL', 'IE', 'CA', 'SE'];
const CURRENCY_OF: Readonly<Record<string, Currency>> = { GB: 'GBP', US: 'USD', CA: 'USD' };
const CHANNELS: readonly (readonly [Channel, number])[] = [
  ['web', 6],
  ['ios', 3],
  ['android', 3],
];
const THINGS: Readonly<Record<Category, readonly string[]>> = {
  art: ['Oil painting', 'Linocut print', 'Bronze figurine'],
  books: ['First edition novel', 'Atlas, 1920s', 'Signed cookbook'],
  electronics: ['Film camera', 'Turntable', 'Valve radio'],
  fashion: ['Wool coat', 'Leather boots', 'Silk scarf'],
  home: ['Brass desk lamp', 'Oak chair', 'Ceramic vase'],
  toys: ['Tin robot', 'Wooden train set', 'Board game, boxed'],
};
const CATEGORIES = Object.keys(THINGS) as Category[];
const REASONS: readonly (readonly [AccountClosedReason, number])[] = [
  ['user_request', 8],
  ['inactivity', 3],
  ['policy_violation', 1],
];

/** Plans transactions from the seed and the driver's model, one at a time, and learns from their outcomes. */
class WorkloadPlanner {
  private readonly prng: Prng;
  private readonly tag: string;
  private readonly users: string[] = [];
  private readonly countryOf = new Map<string, string>();
  private readonly items: ModelItem[] = [];
  private readonly itemIndex = new Map<string, ModelItem>();
  private next = { user: 0, item: 0, bid: 0, session: 0 };

  constructor(seed: string) {
    this.prng = new Prng(seed);
    this.tag = this.prng.uuid().slice(0, 8);
  }

  /** Id prefixes this seed uses (to tell whether it already ran). */
  prefixes(): { user: string; item: string; bid: string } {
    return { user: `u_${this.tag}_`, item: `i_${this.tag}_`, bid: `b_${this.tag}_` };
  }

  /** Starts from what the database already holds: active users and open items, in id order. */
  load(users: readonly { user_id: string; country: string }[], items: readonly ModelItem[]): void {
    for (const u of users) this.addUser(u.user_id, u.country);
    for (const i of items) this.addItem(i);
  }

  plan(): Planned {
    const kind = this.prng.weighted(MIX);
    return this.planKind(kind) ?? this.planSignUp();
  }

  private planKind(kind: OltpTransactionKind): Planned | undefined {
    const p = this.prng;
    switch (kind) {
      case 'signUp':
        return this.planSignUp();
      case 'listItem': {
        if (this.users.length === 0) return undefined;
        const sellerId = p.pick(this.users);
        const category = p.pick(CATEGORIES);
        const itemId = `i_${this.tag}_${++this.next.item}`;
        return {
          kind,
          input: {
            itemId,
            sellerId,
            title: `${p.pick(THINGS[category])} #${this.next.item}`,
            category,
            // 1 to 500 in the currency, most items cheap.
            startingPriceMinor: Math.round(100 * Math.exp(p.next() * Math.log(500))),
            currency: CURRENCY_OF[this.countryOf.get(sellerId) ?? ''] ?? 'EUR',
          },
        };
      }
      case 'changePrice': {
        const candidates = this.items.filter((i) => i.bids === 0);
        if (candidates.length === 0) return undefined;
        const item = p.pick(candidates);
        const factor = p.chance(0.7) ? 0.8 + p.next() * 0.15 : 1.05 + p.next() * 0.2;
        return {
          kind,
          input: {
            itemId: item.itemId,
            userId: item.sellerId,
            newPriceMinor: Math.max(1, Math.round(item.price * factor)),
          },
        };
      }
      case 'placeBid': {
        if (this.items.length === 0 || this.users.length < 2) return undefined;
        // Recent listings draw more bids than old ones.
        const recent = this.items.slice(-50);
        const item = p.chance(0.8) ? p.pick(recent) : p.pick(this.items);
        let bidderId = p.pick(this.users);
        if (bidderId === item.sellerId) bidderId = this.users.find((u) => u !== item.sellerId)!;
        // Now and then a bidder offers no more than the price they saw: the rule rejects it.
        const raise = p.chance(0.03) ? 0 : Math.max(1, Math.round(item.price * (0.01 + p.next() * 0.09)));
        return {
          kind,
          input: {
            bidId: `b_${this.tag}_${++this.next.bid}`,
            itemId: item.itemId,
            bidderId,
            sessionId: `s_${this.tag}_${++this.next.session}`,
            amountMinor: Math.max(1, item.price + raise),
          },
        };
      }
      case 'closeAuction': {
        if (this.items.length === 0) return undefined;
        // Auctions end in about the order they started.
        const item = this.items[p.int(0, Math.min(4, this.items.length - 1))]!;
        return { kind, input: { itemId: item.itemId } };
      }
      case 'closeAccount': {
        if (this.users.length < 10) return undefined;
        return { kind, input: { userId: p.pick(this.users), reason: p.weighted(REASONS) } };
      }
    }
  }

  private planSignUp(): Planned {
    const p = this.prng;
    const userId = `u_${this.tag}_${++this.next.user}`;
    return {
      kind: 'signUp',
      input: {
        userId,
        displayName: `${p.pick(NAMES)} ${this.next.user}`,
        email: `${userId.toLowerCase()}@example.com`,
        country: p.pick(COUNTRIES),
        channel: p.weighted(CHANNELS),
        referrer: p.chance(0.3) ? 'https://search.example/' : null,
      },
    };
  }

  /** Learns what a committed transaction changed. */
  committed(planned: Planned, result: unknown): void {
    switch (planned.kind) {
      case 'signUp':
        this.addUser(planned.input.userId, planned.input.country);
        break;
      case 'listItem':
        this.addItem({
          itemId: planned.input.itemId,
          sellerId: planned.input.sellerId,
          currency: planned.input.currency,
          price: planned.input.startingPriceMinor,
          bids: 0,
        });
        break;
      case 'changePrice': {
        const item = this.itemIndex.get(planned.input.itemId);
        if (item) item.price = planned.input.newPriceMinor;
        break;
      }
      case 'placeBid': {
        const item = this.itemIndex.get(planned.input.itemId);
        if (item) {
          item.price = Math.max(item.price, planned.input.amountMinor);
          item.bids++;
        }
        break;
      }
      case 'closeAuction':
        this.removeItem(planned.input.itemId);
        break;
      case 'closeAccount': {
        const i = this.users.indexOf(planned.input.userId);
        if (i >= 0) this.users.splice(i, 1);
        for (const itemId of (result as { closedItemIds: string[] }).closedItemIds) this.removeItem(itemId);
        break;
      }
    }
  }

  /** Learns from a rejection: a closed item or user is forgotten; a bid lost to a race shows a new price. */
  rejected(planned: Planned, rule: string): void {
    if (rule === 'item-closed' || rule === 'no-item') {
      const itemId = (planned.input as { itemId: string }).itemId;
      this.removeItem(itemId);
    }
    if (rule === 'user-closed' || rule === 'no-user') {
      const input = planned.input as Partial<{ userId: string; sellerId: string; bidderId: string }>;
      const userId = input.bidderId ?? input.sellerId ?? input.userId;
      const i = userId === undefined ? -1 : this.users.indexOf(userId);
      if (i >= 0) this.users.splice(i, 1);
    }
    if (rule === 'has-bids') {
      const item = this.itemIndex.get((planned.input as ChangePriceInput).itemId);
      if (item) item.bids = Math.max(item.bids, 1);
    }
  }

  private addUser(userId: string, country: string): void {
    this.users.push(userId);
    this.countryOf.set(userId, country);
  }

  private addItem(item: ModelItem): void {
    this.items.push(item);
    this.itemIndex.set(item.itemId, item);
  }

  private removeItem(itemId: string): void {
    if (!this.itemIndex.delete(itemId)) return;
    const i = this.items.findIndex((x) => x.itemId === itemId);
    if (i >= 0) this.items.splice(i, 1);
  }
}

const zeroCounts = (): Record<OltpTransactionKind, number> =>
  Object.fromEntries(OLTP_TRANSACTION_KINDS.map((k) => [k, 0])) as Record<OltpTransactionKind, number>;

/**
 * Runs `transactions` business transactions against `db`, chosen from `seed`: a realistic mix (more bids
 * than listings, a few closures), on the users and open items already there plus those it creates. A
 * transaction that breaks a business rule (a bid overtaken by a concurrent one, an auction closed
 * meanwhile) rolls back and counts as rejected; any other error ends the run. With `concurrency` > 1 the
 * transactions overlap (on PostgreSQL, in parallel connections).
 */
export async function runWorkload(db: OltpDatabase, options: RunWorkloadOptions): Promise<WorkloadResult> {
  const seed = String(options.seed);
  const workload = new OltpWorkload(db, options.clock ? { clock: options.clock } : {});
  const planner = new WorkloadPlanner(seed);
  const prefixes = planner.prefixes();
  const used = await db.query<{ used: boolean }>(
    [
      'SELECT EXISTS (SELECT 1 FROM users WHERE starts_with(user_id, $1))',
      'OR EXISTS (SELECT 1 FROM items WHERE starts_with(item_id, $2))',
      'OR EXISTS (SELECT 1 FROM bids WHERE starts_with(bid_id, $3)) AS used',
    ].join(' '),
    [prefixes.user, prefixes.item, prefixes.bid],
  );
  if (used.rows[0]?.used) throw new WorkloadSeedUsedError(seed, db.description);
  const users = await db.query<{ user_id: string; country: string }>(
    'SELECT user_id, country FROM users WHERE deleted_at IS NULL ORDER BY user_id',
  );
  const items = await db.query<{
    item_id: string;
    seller_id: string;
    currency: Currency;
    price_minor: number;
    bids: number;
  }>(
    [
      'SELECT i.item_id, i.seller_id, i.currency, i.price_minor,',
      '(SELECT count(*) FROM bids b WHERE b.item_id = i.item_id) AS bids',
      "FROM items i WHERE i.status = 'open' AND i.deleted_at IS NULL ORDER BY i.listed_at, i.item_id",
    ].join(' '),
  );
  planner.load(
    users.rows,
    items.rows.map((r) => ({
      itemId: r.item_id,
      sellerId: r.seller_id,
      currency: r.currency,
      price: r.price_minor,
      bids: r.bids,
    })),
  );

  const committed = zeroCounts();
  const rejected = zeroCounts();
  const rejectedByRule: Record<string, number> = {};
  let outboxRows = 0;
  let started = 0;
  let done = 0;
  let committedTotal = 0;
  let rejectedTotal = 0;

  const execute = async (planned: Planned): Promise<unknown> => {
    switch (planned.kind) {
      case 'signUp':
        return workload.signUp(planned.input);
      case 'listItem':
        return workload.listItem(planned.input);
      case 'changePrice':
        return workload.changePrice(planned.input);
      case 'placeBid':
        return workload.placeBid(planned.input);
      case 'closeAuction':
        return workload.closeAuction(planned.input);
      case 'closeAccount':
        return workload.closeAccount(planned.input);
    }
  };

  const worker = async (): Promise<void> => {
    while (started < options.transactions) {
      started++;
      const planned = planner.plan();
      try {
        const result = await execute(planned);
        planner.committed(planned, result);
        committed[planned.kind]++;
        committedTotal++;
        outboxRows +=
          planned.kind === 'closeAccount'
            ? 1 + (result as { closedItemIds: string[] }).closedItemIds.length
            : 1;
      } catch (error) {
        if (!(error instanceof BusinessRuleError)) throw error;
        planner.rejected(planned, error.rule);
        rejected[planned.kind]++;
        rejectedByRule[error.rule] = (rejectedByRule[error.rule] ?? 0) + 1;
        rejectedTotal++;
      }
      done++;
      options.onProgress?.({
        done,
        total: options.transactions,
        committed: committedTotal,
        rejected: rejectedTotal,
      });
    }
  };
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, options.transactions)) }, worker));
  return { transactions: done, committed, rejected, rejectedByRule, outboxRows };
}

/** Bids of one UTC day in one currency. */
export interface BidsPerDay {
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
  readonly currency: string;
  readonly bids: number;
  readonly amountMinor: number;
}

/** What the marketplace database holds, in the terms reconciliation compares the warehouse with. */
export interface OltpGroundTruth {
  readonly bidsPerDay: readonly BidsPerDay[];
  /** Users not deleted. */
  readonly users: number;
  readonly deletedUsers: number;
  readonly itemsByStatus: Readonly<Record<'open' | 'closed', number>>;
}

/** Counts and sums straight from the marketplace database. */
export async function oltpGroundTruth(db: OltpSql): Promise<OltpGroundTruth> {
  const bids = await db.query<{ day: string; currency: string; bids: number; amount_minor: number }>(
    [
      "SELECT to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, currency, count(*) AS bids,",
      'sum(amount_minor)::bigint AS amount_minor FROM bids GROUP BY 1, 2 ORDER BY 1, 2',
    ].join(' '),
  );
  const users = await db.query<{ active: number; deleted: number }>(
    [
      'SELECT count(*) FILTER (WHERE deleted_at IS NULL) AS active,',
      'count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted FROM users',
    ].join(' '),
  );
  const items = await db.query<{ status: 'open' | 'closed'; n: number }>(
    'SELECT status, count(*) AS n FROM items WHERE deleted_at IS NULL GROUP BY status',
  );
  const itemsByStatus = { open: 0, closed: 0 };
  for (const r of items.rows) itemsByStatus[r.status] = r.n;
  return {
    bidsPerDay: bids.rows.map((r) => ({
      day: r.day,
      currency: r.currency,
      bids: r.bids,
      amountMinor: r.amount_minor,
    })),
    users: users.rows[0]?.active ?? 0,
    deletedUsers: users.rows[0]?.deleted ?? 0,
    itemsByStatus,
  };
}
