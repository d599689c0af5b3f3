// Lesson 11 - Shopping carts as hashes: the contract of the exercise.
//
// Write the functions in carts.cpp. `make test-11` grades them against a real
// Valkey server; the lesson is lessons/11-carts/README.md.
//
// A cart is one hash: its key is `cart` (the caller chooses it), each field is
// a SKU (the product's code) and its value the quantity, a whole number > 0.
// A cart nobody touches expires: every change sets the cart's TTL to `ttl`
// again, so an active cart lives on and an abandoned one disappears.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "workbook/valkey.hpp"

namespace carts {

// SKU -> quantity, sorted by SKU.
using Contents = std::map<std::string, long long>;

// Every function refuses, with std::invalid_argument and before sending
// anything: an empty cart key, an empty SKU, a ttl that is not positive, and
// the quantities each task names. A refused call changes nothing.

// Task 1. Add `quantity` (> 0; zero or negative is refused) of `sku` to the
// cart, on top of what is there, and set the cart's TTL to `ttl`. Return the
// SKU's quantity now. Concurrent adds must all count.
long long add_item(wb::Valkey& client, std::string_view cart, std::string_view sku,
                   long long quantity, std::chrono::milliseconds ttl);

// Task 2. Set the SKU's quantity to exactly `quantity` (>= 0; negative is
// refused). 0 removes the SKU from the cart: no field may hold 0. Set the
// cart's TTL to `ttl`. Return the quantity now.
long long set_quantity(wb::Valkey& client, std::string_view cart, std::string_view sku,
                       long long quantity, std::chrono::milliseconds ttl);

// Task 3. Take `quantity` (> 0) of `sku` out of the cart. A quantity that
// reaches zero removes the SKU; taking more than there is removes it too: a
// quantity is never negative. Set the cart's TTL to `ttl`. Return the quantity
// left (0 when the SKU is gone). The decrement and the removal happen in ONE
// script, so no other client ever sees (or changes) the quantity in between.
long long remove_item(wb::Valkey& client, std::string_view cart, std::string_view sku,
                      long long quantity, std::chrono::milliseconds ttl);

// Task 4. What is in the cart (empty when there is no cart). Reading is not a
// change: it leaves the TTL as it is.
Contents contents(wb::Valkey& client, std::string_view cart);

// Task 5. Checkout: return what is in the cart and delete the cart, in one
// atomic step (MULTI/EXEC or a script). An item added at the same moment is
// either in the result or still in the cart afterwards: never lost.
Contents checkout(wb::Valkey& client, std::string_view cart);

// Task 6. On login: move everything from the guest's cart into the user's
// cart, ADDING quantities of the same SKU (guest 2 + user 3 = 5), delete the
// guest cart and set the user cart's TTL to `ttl`, all in one script (two
// logins racing with the same guest cart must move it once). Return how many
// SKUs were moved. The same key for both carts is std::invalid_argument.
long long merge(wb::Valkey& client, std::string_view guest_cart, std::string_view user_cart,
                std::chrono::milliseconds ttl);

}  // namespace carts
