// xsc-customers: the customers service (ARCHITECTURE.md: port 7102, admin 9102).
import Customers
import ServiceHost

ServiceHost.run(CustomersService.definition)
