// xsc-orders: the orders service (ARCHITECTURE.md: port 7101, admin 9101).
import Orders
import ServiceHost

ServiceHost.run(OrdersService.definition)
