// Lesson 11 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-11` tells you what works so far. The contract of every
// function is in carts.hpp.
#include "carts.hpp"

#include <iterator>
#include <stdexcept>
#include <utility>
#include <vector>

#include "workbook/exercise.hpp"

namespace carts {

long long add_item(wb::Valkey& client, std::string_view cart, std::string_view sku,
                   long long quantity, std::chrono::milliseconds ttl) {
  WB_TODO("task 1 (add_item)", client, cart, sku, quantity, ttl);
}

long long set_quantity(wb::Valkey& client, std::string_view cart, std::string_view sku,
                       long long quantity, std::chrono::milliseconds ttl) {
  WB_TODO("task 2 (set_quantity)", client, cart, sku, quantity, ttl);
}

long long remove_item(wb::Valkey& client, std::string_view cart, std::string_view sku,
                      long long quantity, std::chrono::milliseconds ttl) {
  WB_TODO("task 3 (remove_item)", client, cart, sku, quantity, ttl);
}

Contents contents(wb::Valkey& client, std::string_view cart) {
  WB_TODO("task 4 (contents)", client, cart);
}

Contents checkout(wb::Valkey& client, std::string_view cart) {
  WB_TODO("task 5 (checkout)", client, cart);
}

long long merge(wb::Valkey& client, std::string_view guest_cart, std::string_view user_cart,
                std::chrono::milliseconds ttl) {
  WB_TODO("task 6 (merge)", client, guest_cart, user_cart, ttl);
}

}  // namespace carts
