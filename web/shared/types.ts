/**
 * The shapes of the API answers the pages read (the served /openapi.json is the full form; these
 * name only the fields the pages use).
 */
import type { Money } from './api'

export type PaymentStatus =
  | 'requires_confirmation'
  | 'requires_capture'
  | 'succeeded'
  | 'canceled'
  | 'expired'
  | 'failed'
  | 'refunded'
  | 'partially_refunded'

export type Payment = {
  id: string
  status: PaymentStatus
  amount: Money
  purpose: { type: 'order' | 'deal' | 'bill'; id: string }
  capture: 'automatic' | 'manual'
  device_id?: string | null
  created_at: string
  expires_at: string
  confirmation: { url: string; code: string }
  receipt?: string
}

export type Image = { url: string; width: number; height: number }

export type ProductSummary = {
  id: string
  title: string
  brand: string
  price: Money
  image: Image | null
  category_id?: string
  stock_status?: 'in_stock' | 'low_stock' | 'out_of_stock'
}

export type Deal = {
  id: string
  product: ProductSummary
  mode: 'group' | 'team'
  deal_price: Money
  list_price: Money
  starts_at: string
  ends_at: string
  min_group_size: number
  participants: number
  stock_remaining: number
  max_per_user: number
  status: 'upcoming' | 'active' | 'tipped' | 'succeeded' | 'failed' | 'sold_out'
  server_time?: string
}

export type ProductDetail = ProductSummary & {
  description: string
  images: Image[]
  attributes: Record<string, string>
  active_deal: Deal | null
}

export type Category = { id: string; name: string; parent_id: string | null }

export type Bill = {
  id: string
  biller: { id: string; name: string; category: string }
  account_number_masked: string
  nickname: string | null
  period: string
  amount_due: Money
  amount_remaining: Money
  due_date: string
  status: 'unpaid' | 'partially_paid' | 'paid'
  overdue: boolean
}

export type Order = {
  id: string
  status: string
  items: { product_id: string; title: string; unit_price: Money; quantity: number }[]
  total: Money
  shipping_address?: Record<string, string> | null
}

export type HomeRail =
  | { id: string; title: string; kind: 'products'; items: ProductSummary[] }
  | { id: string; title: string; kind: 'deals'; items: Deal[] }
  | { id: string; title: string; kind: 'categories'; items: Category[] }
  | { id: string; title: string; kind: 'bills'; items: Bill[] }

export type Suggestion = { id: string; title: string; kind: 'product' | 'category' | string }

export type Device = {
  id: string
  name: string
  client_id: string
  created_at: string
  last_seen_at: string | null
}

export type List<T> = { items: T[]; next_cursor?: string | null }
